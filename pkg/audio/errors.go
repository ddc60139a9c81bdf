package audio

import "errors"

// Reasons an audio file cannot be used. LoadFile, Decode and DecodeWAV wrap
// one of them (inside a *failure.Error of Kind failure.Input) so that
// callers can tell them apart with errors.Is. The message of an error from a
// FLAC, Ogg or MP3 file names its format rather than repeating these texts.
var (
	// ErrNotWAV: DecodeWAV was given something other than a RIFF/WAVE
	// file (an MP3, a text file...).
	ErrNotWAV = errors.New("not a WAV file")
	// ErrUnknownFormat: the file is none of the formats webcall reads.
	ErrUnknownFormat = errors.New("not an audio file webcall reads (" + readableFormats + ")")
	// ErrEmptyAudio: the file holds no samples (an empty file, or an
	// empty data chunk or stream).
	ErrEmptyAudio = errors.New("no audio in file")
	// ErrTruncated: the file ends inside its header or before the end of
	// its audio, so playing it would play part of a recording.
	ErrTruncated = errors.New("WAV file is truncated")
	// ErrCorrupt: the file's data fails its checksums or cannot be
	// decoded, so what it would play is not what was recorded.
	ErrCorrupt = errors.New("audio file is damaged")
	// ErrUnsupportedFormat: a file in an encoding or layout webcall does
	// not decode (μ-law WAV, MP2, a chained Ogg file, a rate out of
	// range...).
	ErrUnsupportedFormat = errors.New("unsupported WAV format")
	// ErrTooLong: the audio lasts longer than MaxDuration (or the
	// compressed file is larger than MaxCompressedBytes).
	ErrTooLong = errors.New("audio file is too long")
)
