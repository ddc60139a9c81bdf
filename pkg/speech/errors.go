package speech

import "errors"

// Conditions Say's errors name (see failure.Error.Cond), for errors.Is.
var (
	// ErrNoSynth: espeak-ng is not installed (not on PATH).
	ErrNoSynth = errors.New("no speech synthesiser")
	// ErrEmptyText: there is nothing to say.
	ErrEmptyText = errors.New("empty text")
	// ErrUnknownVoice: espeak-ng does not know the voice asked for.
	ErrUnknownVoice = errors.New("unknown voice")
)
