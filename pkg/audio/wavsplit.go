package audio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// WAVFile is a WAV file being written, one file (WAVWriter) or as many as
// it takes (SplitWAV): what a command and a Recorder need of either.
type WAVFile interface {
	// Write appends interleaved samples, a whole number of frames.
	Write(interleaved []int16) error
	// Close completes the file; Abort discards it. Each does nothing
	// after either.
	Close() error
	Abort() error
	// Path is where the (first) file will be once closed.
	Path() string
	// Duration is the length of audio written so far.
	Duration() time.Duration
	// Sink is the file as a Sink of mono audio.
	Sink() Sink
}

var (
	_ WAVFile = (*WAVWriter)(nil)
	_ WAVFile = (*SplitWAV)(nil)
)

// SplitWAV writes a recording of any length as a series of WAV files, each
// within the 4 GiB a RIFF header can describe (a little over 6 hours of 48
// kHz stereo, which a kiosk that records its calls can reach): path first,
// then path with ".part2", ".part3"... before its extension
// ("call.wav", "call.part2.wav"). The parts are one timeline: every frame
// is in exactly one of them, in order, and each part holds whole frames.
//
// Each part is written as WAVWriter writes a file (a playable temporary
// file next to it, renamed into place when complete): a part is completed
// when the audio after it arrives, so the last one is completed by Close,
// and a part is never started empty. Its methods are safe for concurrent
// use; the Write that completes a part waits for the disk to make it
// durable, once in hours.
type SplitWAV struct {
	mu       sync.Mutex
	path     string
	rate     int
	channels int
	// limit is the data bytes of one part, whole frames: the RIFF limit,
	// or a few KB in tests.
	limit int64

	cur      *WAVWriter
	curBytes int64    // data bytes in cur
	parts    []string // every part started, cur last
	frames   int64    // frames written to all parts
	spread   []int16  // mono samples copied to every channel, for Sink
	done     bool
	err      error // a part could not be completed or started
	closeErr error
}

// CreateSplitWAV starts a recording of 16-bit PCM at path, split into
// parts as it grows (see SplitWAV). Its errors are CreateWAV's.
func CreateSplitWAV(path string, sampleRate, channels int) (*SplitWAV, error) {
	return createSplitWAV(path, sampleRate, channels, maxWAVData)
}

// createSplitWAV is CreateSplitWAV with parts of at most limit data bytes.
func createSplitWAV(path string, sampleRate, channels int, limit int64) (*SplitWAV, error) {
	w, err := CreateWAV(path, sampleRate, channels)
	if err != nil {
		return nil, err
	}
	block := int64(2 * channels)
	limit -= limit % block
	if limit < block {
		w.Abort()
		return nil, fmt.Errorf("create WAV %q: parts of %d bytes cannot hold a frame", path, limit)
	}
	return &SplitWAV{path: path, rate: sampleRate, channels: channels, limit: limit, cur: w, parts: []string{path}}, nil
}

// PartPath is the path of the n-th part (from 1) of a SplitWAV at path.
func PartPath(path string, n int) string {
	if n <= 1 {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".part" + strconv.Itoa(n) + ext
}

// Path is where the first part will be once closed.
func (s *SplitWAV) Path() string { return s.path }

// Parts lists the files of the recording, in order: those completed, then
// the one being written. After Abort it lists what was discarded.
func (s *SplitWAV) Parts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.parts...)
}

// Duration is the length of audio written so far, all parts together.
func (s *SplitWAV) Duration() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(s.frames) * time.Second / time.Duration(s.rate)
}

// Write appends interleaved samples, a whole number of frames. The frames
// that would take a part past its limit begin the next part.
func (s *SplitWAV) Write(interleaved []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(interleaved)
}

func (s *SplitWAV) write(interleaved []int16) error {
	switch {
	case s.done:
		return ErrClosed
	case s.err != nil:
		return s.err
	case len(interleaved)%s.channels != 0:
		return fmt.Errorf("write WAV %q: %d samples is not a whole number of %d-channel frames", s.path, len(interleaved), s.channels)
	}
	for len(interleaved) > 0 {
		if s.curBytes == s.limit {
			if err := s.nextPart(); err != nil {
				s.err = err
				return err
			}
		}
		n := min(len(interleaved), int((s.limit-s.curBytes)/2))
		if err := s.cur.Write(interleaved[:n]); err != nil {
			return err
		}
		s.curBytes += int64(2 * n)
		s.frames += int64(n / s.channels)
		interleaved = interleaved[n:]
	}
	return nil
}

// nextPart completes the full part and starts the next.
func (s *SplitWAV) nextPart() error {
	if err := s.cur.Close(); err != nil {
		return err
	}
	path := PartPath(s.path, len(s.parts)+1)
	w, err := CreateWAV(path, s.rate, s.channels)
	if err != nil {
		return fmt.Errorf("continue WAV %q in a new part: %w", s.path, err)
	}
	s.cur, s.curBytes = w, 0
	s.parts = append(s.parts, path)
	return nil
}

// Close completes the part being written (see WAVWriter.Close). It is safe
// to call more than once; later calls return the first one's result. If a
// part could not be started, the parts before it are complete and the
// error says why the recording stops there.
func (s *SplitWAV) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return s.closeErr
	}
	s.done = true
	err := s.cur.Close()
	if s.err != nil {
		err = s.err
	}
	s.closeErr = err
	return err
}

// Abort discards the recording, every part of it. It does nothing after
// Close, and Close does nothing after it.
func (s *SplitWAV) Abort() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	errs := []error{s.cur.Abort()}
	for _, p := range s.parts[:len(s.parts)-1] {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("discard %q: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// Sink returns s as a Sink of mono audio: each sample is written to every
// channel. For a mono recording it is s itself. Closing the Sink closes s.
func (s *SplitWAV) Sink() Sink {
	if s.channels == 1 {
		return s
	}
	return splitSpreadSink{s}
}

type splitSpreadSink struct{ s *SplitWAV }

func (k splitSpreadSink) Write(mono []int16) error {
	s := k.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(spread(&s.spread, mono, s.channels))
}

func (k splitSpreadSink) Close() error { return k.s.Close() }
