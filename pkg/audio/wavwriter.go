package audio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// ErrWAVFull is returned by WAVWriter.Write when the recording reaches the
// 4 GiB that a RIFF WAV file can describe (about 6 hours of 48 kHz stereo).
var ErrWAVFull = errors.New("WAV file is full (4 GiB limit)")

const (
	wavHeaderSize = 44
	// maxWAVData keeps the RIFF size (36 + data) within 32 bits.
	maxWAVData = 0xFFFFFFFF - wavHeaderSize
)

// WAVWriter writes 16-bit PCM to a WAV file without ever leaving a
// half-written file at its path. It writes to a temporary file next to it
// (".name.wav.part-NNNN") whose header it updates after every second of
// audio, so that even after a crash the temporary file is a playable WAV of
// all but the last second; Close makes it durable and renames it into
// place. Its methods are safe for concurrent use.
//
// A mono WAVWriter is a Sink; Sink gives one for any channel count.
type WAVWriter struct {
	mu       sync.Mutex
	path     string
	tmpPath  string
	f        *os.File
	bw       *bufio.Writer
	rate     int
	channels int
	buf      []byte  // samples as bytes, reused by every Write
	spread   []int16 // mono samples copied to every channel, for Sink
	data     int64   // data bytes written
	synced   int64   // data bytes the header describes
	done     bool    // closed or aborted
	err      error   // first write error: the file is incomplete
	closeErr error
}

// CreateWAV starts a WAV file of 16-bit PCM at path. It fails at once, with
// a *failure.Error of Kind failure.Input naming the path, when the file
// cannot be created there (no such directory, no permission, path is a
// directory), so that a command can check its outputs before it connects.
func CreateWAV(path string, sampleRate, channels int) (*WAVWriter, error) {
	if sampleRate < 1 || sampleRate > maxResampleRate || channels < 1 || channels > 8 {
		return nil, fmt.Errorf("create WAV %q: unsupported layout: %d Hz, %d channels", path, sampleRate, channels)
	}
	outErr := func(err error) error {
		return failure.Wrap(failure.Input, err, fmt.Sprintf("output %q", path)).
			WithHint("write recordings to an existing directory you can write to")
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, outErr(errors.New("is a directory, expected a file name"))
	}
	dir, base := filepath.Dir(path), filepath.Base(path)
	if st, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, outErr(detail(err, fmt.Sprintf("directory %q does not exist", dir)))
		}
		return nil, outErr(err)
	} else if !st.IsDir() {
		return nil, outErr(fmt.Errorf("%q is not a directory", dir))
	}
	f, tmpPath, err := createTemp(dir, "."+base+".part-")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			err = detail(err, fmt.Sprintf("no permission to write in directory %q", dir))
		}
		return nil, outErr(err)
	}
	w := &WAVWriter{
		path:     path,
		tmpPath:  tmpPath,
		f:        f,
		bw:       bufio.NewWriterSize(f, 64<<10),
		rate:     sampleRate,
		channels: channels,
	}
	if _, err := f.Write(w.header()); err != nil {
		f.Close()
		os.Remove(tmpPath)
		return nil, outErr(err)
	}
	return w, nil
}

// createTemp is os.CreateTemp with the permissions os.Create gives (0666
// less the umask), since the file becomes the user's recording.
func createTemp(dir, prefix string) (*os.File, string, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", fmt.Errorf("no unused temporary name in %q", dir)
}

// header is a canonical 44-byte PCM header describing w.data bytes.
func (w *WAVWriter) header() []byte {
	h := make([]byte, 0, wavHeaderSize)
	le := binary.LittleEndian
	block := w.channels * 2
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, uint32(36+w.data))
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, 16)
	h = le.AppendUint16(h, wavePCM)
	h = le.AppendUint16(h, uint16(w.channels))
	h = le.AppendUint32(h, uint32(w.rate))
	h = le.AppendUint32(h, uint32(w.rate*block))
	h = le.AppendUint16(h, uint16(block))
	h = le.AppendUint16(h, 16)
	h = append(h, "data"...)
	h = le.AppendUint32(h, uint32(w.data))
	return h
}

// Path is where the file will be once closed.
func (w *WAVWriter) Path() string { return w.path }

// Duration is the length of audio written so far.
func (w *WAVWriter) Duration() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	frames := w.data / int64(2*w.channels)
	return time.Duration(frames) * time.Second / time.Duration(w.rate)
}

// Write appends interleaved samples: a whole number of frames, one sample
// per channel each.
func (w *WAVWriter) Write(interleaved []int16) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.write(interleaved)
}

func (w *WAVWriter) write(interleaved []int16) error {
	switch {
	case w.done:
		return ErrClosed
	case w.err != nil:
		return w.err
	case len(interleaved)%w.channels != 0:
		return fmt.Errorf("write WAV %q: %d samples is not a whole number of %d-channel frames", w.path, len(interleaved), w.channels)
	}
	n := 2 * len(interleaved)
	if w.data+int64(n) > maxWAVData {
		w.err = fmt.Errorf("write WAV %q: %w", w.path, ErrWAVFull)
		return w.err
	}
	if cap(w.buf) < n {
		w.buf = make([]byte, n)
	}
	b := w.buf[:n]
	for i, v := range interleaved {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	if _, err := w.bw.Write(b); err != nil {
		w.err = fmt.Errorf("write WAV %q: %w", w.path, err)
		return w.err
	}
	w.data += int64(n)
	if w.data-w.synced >= int64(2*w.channels*w.rate) {
		if err := w.syncHeader(); err != nil {
			w.err = fmt.Errorf("write WAV %q: %w", w.path, err)
			return w.err
		}
	}
	return nil
}

// syncHeader writes out the buffered audio, then a header that describes
// it: the file is a valid WAV of everything written so far.
func (w *WAVWriter) syncHeader() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if _, err := w.f.WriteAt(w.header(), 0); err != nil {
		return err
	}
	w.synced = w.data
	return nil
}

// Close completes the file: header, fsync, rename to Path. It is safe to
// call more than once; later calls return the first one's result. If the
// file cannot be completed, its temporary file is left for recovery and the
// error names it.
func (w *WAVWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return w.closeErr
	}
	w.done = true
	w.closeErr = w.finish()
	return w.closeErr
}

func (w *WAVWriter) finish() error {
	err := w.err
	if errors.Is(err, ErrWAVFull) {
		err = nil // a full file is complete, not broken
	}
	if err == nil {
		err = w.syncHeader()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmpPath, w.path)
	}
	if err != nil {
		return fmt.Errorf("finish WAV %q (what was written is in %q): %w", w.path, w.tmpPath, err)
	}
	// Make the rename itself durable. Not every file system can sync a
	// directory; the file is complete either way.
	if d, err := os.Open(filepath.Dir(w.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Abort discards the file: for runs that fail before there is anything
// worth keeping. It does nothing after Close, and Close does nothing after
// it.
func (w *WAVWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.tmpPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("discard %q: %w", w.tmpPath, err)
	}
	return nil
}

// Sink returns w as a Sink of mono audio: each sample is written to every
// channel. For a mono writer it is w itself. Closing the Sink closes w.
func (w *WAVWriter) Sink() Sink {
	if w.channels == 1 {
		return w
	}
	return spreadSink{w}
}

type spreadSink struct{ w *WAVWriter }

func (s spreadSink) Write(mono []int16) error {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.write(spread(&w.spread, mono, w.channels))
}

// spread writes each sample of mono to every one of channels, in buf
// (grown as needed, and kept for the next frame), and returns the
// interleaved samples.
func spread(buf *[]int16, mono []int16, channels int) []int16 {
	n := len(mono) * channels
	if cap(*buf) < n {
		*buf = make([]int16, n)
	}
	out := (*buf)[:n]
	for i, v := range mono {
		for c := range channels {
			out[i*channels+c] = v
		}
	}
	return out
}

func (s spreadSink) Close() error { return s.w.Close() }
