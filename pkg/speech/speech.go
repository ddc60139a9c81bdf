// Package speech turns the text of a scripted turn into audio on this
// machine, with espeak-ng, so that a scenario can say "say: I would like a
// table for two" without anyone recording it.
//
// espeak-ng is chosen for being small, in every distribution, offline and
// deterministic: the same version, voice and text give the same samples,
// which is what makes the cache safe and scripted calls repeatable. Its
// voice is robotic, but speech recognisers understand it.
//
// Synthesised WAV files are cached under a key of the espeak-ng version,
// the voice and the text, so a scenario run again costs no synthesis. A
// Synth asks espeak-ng for its version once: after that, its cached turns
// play without running espeak-ng at all.
//
// The package starts no goroutines of its own; Say runs espeak-ng and
// waits for it, and ends it when its context ends.
package speech

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// voiceHint is the package's own advice on ErrUnknownVoice; the command
// may say which of its options lists the voices.
const voiceHint = "pick one of the voices espeak-ng lists, e.g. en-us, en-gb or en-us+f3"

// DefaultVoice is the voice Say uses when Synth.Voice is empty.
const DefaultVoice = "en-us"

// synthBinary is the synthesiser's command name, looked up on PATH.
const synthBinary = "espeak-ng"

// waitDelay bounds how long Say waits for espeak-ng's output after its
// context ends and it has been killed.
const waitDelay = 2 * time.Second

// Synth says text with espeak-ng. Its zero value is ready to use; it may be
// used from several goroutines, and must not be copied after first use.
type Synth struct {
	// CacheDir holds the synthesised WAV files. Empty: the user's cache
	// folder (os.UserCacheDir()/webcall/speech).
	CacheDir string
	// Voice is an espeak-ng voice (see "espeak-ng --voices"). Empty:
	// DefaultVoice.
	Voice string

	mu      sync.Mutex
	version string // espeak-ng's version line, once known
	binary  string // its path, once found
}

// voiceName is what an espeak-ng voice name looks like ("en-us",
// "en-us+f3", "mb/mb-en1"): it keeps option-like or odd values out of the
// command line and the cache key.
var voiceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_+/.-]*$`)

// Say returns text spoken by espeak-ng as a Clip (48 kHz mono), from the
// cache when it was said before with the same version and voice.
//
// Errors are *failure.Error: Kind Input for an empty text (ErrEmptyText),
// Kind Usage when espeak-ng is missing (ErrNoSynth) or does not know the
// voice (ErrUnknownVoice). When ctx ends first, the error wraps ctx.Err().
func (s *Synth) Say(ctx context.Context, text string) (*audio.Clip, error) {
	if strings.TrimSpace(text) == "" {
		return nil, failure.New(failure.Input, "nothing to say: the text is empty").WithCond(ErrEmptyText)
	}
	voice := s.Voice
	if voice == "" {
		voice = DefaultVoice
	}
	if !voiceName.MatchString(voice) {
		return nil, failure.Newf(failure.Usage, "speech voice %q is not a voice name", voice).
			WithCond(ErrUnknownVoice).WithHint(voiceHint)
	}
	bin, version, err := s.synth(ctx)
	if err != nil {
		return nil, err
	}
	dir, cached := s.cacheDir()
	key := cacheKey(version, voice, text)
	final := filepath.Join(dir, key+".wav")
	if cached {
		if c, err := audio.LoadFile(final); err == nil {
			return c, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			// A damaged entry (a disk that filled up, a file
			// edited by hand): synthesise it again.
			os.Remove(final)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("speech cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".say-*.wav")
	if err != nil {
		return nil, fmt.Errorf("speech cache: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	renamed := false
	defer func() {
		// Not once renamed: by then the name may be another
		// synthesis's temporary file.
		if !renamed {
			os.Remove(tmpName)
		}
	}()

	if err := run(ctx, bin, voice, tmpName, text); err != nil {
		return nil, err
	}
	c, err := audio.LoadFile(tmpName)
	if err != nil {
		return nil, fmt.Errorf("espeak-ng's output for %s: %w", quoteShort(text), err)
	}
	if !cached {
		return c, nil
	}
	// Renaming a complete file into place means a reader, or a run that
	// was killed, never sees half of one.
	if err := os.Rename(tmpName, final); err != nil {
		return nil, fmt.Errorf("speech cache: %w", err)
	}
	renamed = true
	return c, nil
}

// synth finds espeak-ng and its version, once per Synth, so that cached
// turns need neither again.
func (s *Synth) synth(ctx context.Context) (bin, version string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version != "" {
		return s.binary, s.version, nil
	}
	bin, err = exec.LookPath(synthBinary)
	if err != nil {
		return "", "", failure.Wrap(failure.Usage, err, "espeak-ng is not installed, and it is needed to say a turn given as text").
			WithCond(ErrNoSynth).
			WithHint(`install it ("sudo apt-get install espeak-ng"), or record the turn as an audio file and give that file to say:`)
	}
	// The first line of the help (after a blank one) is the version line ("eSpeak NG
	// text-to-speech: 1.51  Data at: /usr/lib/..."), as the long version
	// option prints it; the data path is part of it on purpose: other
	// voice data, other samples.
	out, err := exec.CommandContext(ctx, bin, "-h").Output()
	if err != nil {
		if ctx.Err() != nil {
			return "", "", fmt.Errorf("espeak-ng version: %w", context.Cause(ctx))
		}
		return "", "", fmt.Errorf("espeak-ng version: %w", err)
	}
	version, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	if !strings.Contains(version, "eSpeak") {
		return "", "", fmt.Errorf("espeak-ng version: %s does not say which it is (its help starts %s)", bin, quoteShort(version))
	}
	s.binary, s.version = bin, strings.TrimSpace(version)
	return s.binary, s.version, nil
}

// cacheDir is where synthesised files go, and whether they are kept: with
// no cache folder to be had (no HOME), Say still works, uncached.
func (s *Synth) cacheDir() (string, bool) {
	if s.CacheDir != "" {
		return s.CacheDir, true
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "webcall", "speech"), true
	}
	return os.TempDir(), false
}

// cacheKey names a synthesised file by everything that decides its samples.
// Lengths are included so that no two different triples hash the same text.
func cacheKey(version, voice, text string) string {
	h := sha256.New()
	for _, part := range []string{version, voice, text} {
		fmt.Fprintf(h, "%d:%s\n", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// run has espeak-ng write text to wav. With no text among its arguments
// espeak-ng reads stdin, so a text starting with "-" is never an option.
func run(ctx context.Context, bin, voice, wav, text string) error {
	cmd := exec.CommandContext(ctx, bin, "-v", voice, "-w", wav)
	cmd.Stdin = strings.NewReader(text)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4 << 10}
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("espeak-ng: %w", context.Cause(ctx))
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Contains(msg, "voice does not exist") {
		return failure.Newf(failure.Usage, "espeak-ng has no voice %q", voice).
			WithCond(ErrUnknownVoice).WithHint(voiceHint)
	}
	if msg == "" {
		msg = err.Error()
	}
	return fmt.Errorf("espeak-ng failed to say %s: %s", quoteShort(text), msg)
}

// quoteShort quotes text for a message, cut to a readable length.
func quoteShort(text string) string {
	const maxRunes = 40
	r := []rune(text)
	if len(r) > maxRunes {
		return fmt.Sprintf("%q...", string(r[:maxRunes]))
	}
	return fmt.Sprintf("%q", text)
}

// limitedWriter keeps the first n bytes written and drops the rest, so a
// chatty child cannot grow the buffer without end.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
