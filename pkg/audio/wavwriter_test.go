package audio

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// rawWAV is a canonical 44-byte-header WAV file as WAVWriter writes it.
type rawWAV struct {
	riffSize, dataSize uint32
	channels, rate     int
	samples            []int16 // interleaved, as many as dataSize says
	trailing           int     // bytes after the data chunk
}

func readRawWAV(t *testing.T, path string) rawWAV {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("%s: not a canonical WAV header: % x", path, b[:min(len(b), 44)])
	}
	le := binary.LittleEndian
	w := rawWAV{
		riffSize: le.Uint32(b[4:]),
		dataSize: le.Uint32(b[40:]),
		channels: int(le.Uint16(b[22:])),
		rate:     int(le.Uint32(b[24:])),
	}
	if le.Uint16(b[20:]) != 1 || le.Uint16(b[34:]) != 16 || int(le.Uint16(b[32:])) != 2*w.channels || int(le.Uint32(b[28:])) != 2*w.channels*w.rate {
		t.Fatalf("%s: inconsistent fmt chunk: % x", path, b[20:36])
	}
	if w.riffSize != 36+w.dataSize {
		t.Fatalf("%s: RIFF size %d for %d data bytes", path, w.riffSize, w.dataSize)
	}
	if int(w.dataSize) > len(b)-44 {
		t.Fatalf("%s: header promises %d data bytes, file holds %d", path, w.dataSize, len(b)-44)
	}
	data := b[44 : 44+w.dataSize]
	for i := 0; i+1 < len(data); i += 2 {
		w.samples = append(w.samples, int16(le.Uint16(data[i:])))
	}
	w.trailing = len(b) - 44 - int(w.dataSize)
	return w
}

// partFile returns the temporary file of a writer creating path.
func partFile(t *testing.T, path string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".part-*"))
	if err != nil || len(m) != 1 {
		t.Fatalf("temporary files for %s: %v %v", path, m, err)
	}
	return m[0]
}

func TestWAVWriterIsValidAtAnyTimeAndRenamesOnClose(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.wav")
	w, err := CreateWAV(path, SampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if w.Path() != path {
		t.Errorf("Path %q, want %q", w.Path(), path)
	}
	part := partFile(t, path)

	// Before any audio: an empty but valid WAV.
	if got := readRawWAV(t, part); got.dataSize != 0 || got.channels != 1 || got.rate != SampleRate {
		t.Errorf("fresh file: %+v", got)
	}

	in := ramp(5*SampleRate/2 + 123) // 2.5 s, in uneven chunks
	for i := 0; i < len(in); i += 700 {
		if err := w.Write(in[i:min(i+700, len(in))]); err != nil {
			t.Fatal(err)
		}
	}
	if d := w.Duration(); d != time.Duration(len(in))*time.Second/SampleRate {
		t.Errorf("Duration %v after %d samples", d, len(in))
	}

	// As if the program crashed now: the temporary file is a valid WAV
	// of the first two seconds (the header is updated every second).
	got := readRawWAV(t, part)
	if len(got.samples) < 2*SampleRate || !equalPCM(got.samples, in[:len(got.samples)]) {
		t.Errorf("crashed file holds %d samples, want the first 2 s of what was written", len(got.samples))
	}
	if _, err := LoadFile(part); err != nil {
		t.Errorf("the decoder refuses the crashed file: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists before Close: %v", path, err)
	}

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	got = readRawWAV(t, path)
	if !equalPCM(got.samples, in) || got.trailing != 0 {
		t.Errorf("closed file holds %d samples and %d trailing bytes, want %d and none", len(got.samples), got.trailing, len(in))
	}
	if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left after Close: %v", err)
	}
	if err := w.Write(in[:10]); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}

func TestWAVWriterReplacesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.wav")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := CreateWAV(path, 16000, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(ramp(100))
	// Until Close, the old file is untouched.
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("the old file changed before Close")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readRawWAV(t, path); got.rate != 16000 || len(got.samples) != 100 {
		t.Errorf("new file: %d Hz, %d samples", got.rate, len(got.samples))
	}
}

func TestWAVWriterStereoAndSink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stereo.wav")
	w, err := CreateWAV(path, SampleRate, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]int16{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "not a whole number of 2-channel frames") {
		t.Errorf("odd stereo write: %v", err)
	}
	w.Write([]int16{1, -1, 2, -2})
	sink := w.Sink()
	sink.Write([]int16{7, 8})
	if d := w.Duration(); d != 4*time.Second/SampleRate {
		t.Errorf("Duration %v, want 4 frames", d)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	got := readRawWAV(t, path)
	if got.channels != 2 || !equalPCM(got.samples, []int16{1, -1, 2, -2, 7, 7, 8, 8}) {
		t.Errorf("got %d channels %v", got.channels, got.samples)
	}

	mono, err := CreateWAV(filepath.Join(dir, "mono.wav"), SampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer mono.Close()
	if mono.Sink() != Sink(mono) {
		t.Error("a mono writer's Sink is not the writer itself")
	}
}

func TestWAVWriterAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.wav")
	w, err := CreateWAV(path, SampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(ramp(1000))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close after Abort: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left after Abort: %v", ents)
	}
	if err := w.Write(ramp(10)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Abort: %v", err)
	}
}

func TestCreateWAVErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	tests := []struct {
		name string
		path string
		msg  string
	}{
		{"no such directory", filepath.Join(dir, "nope", "out.wav"), `directory "` + filepath.Join(dir, "nope") + `" does not exist`},
		{"path is a directory", dir, "is a directory, expected a file name"},
		{"parent is a file", filepath.Join(file, "out.wav"), "is not a directory"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		locked := filepath.Join(dir, "locked")
		os.Mkdir(locked, 0o500)
		tests = append(tests, struct{ name, path, msg string }{"no permission", filepath.Join(locked, "out.wav"), "no permission to write in directory"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CreateWAV(tt.path, SampleRate, 1)
			if err == nil {
				t.Fatal("no error")
			}
			if failure.KindOf(err) != failure.Input {
				t.Errorf("kind %v, want input", failure.KindOf(err))
			}
			if want := `output "` + tt.path + `": `; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q, want %q then %q", err, want, tt.msg)
			}
		})
	}
	if _, err := CreateWAV(filepath.Join(dir, "x.wav"), 0, 1); err == nil {
		t.Error("a 0 Hz WAV was created")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.part-*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

func TestWAVWriterFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.wav")
	w, err := CreateWAV(path, SampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.data = maxWAVData - 4 // as if 4 GiB had been written
	w.synced = w.data
	if err := w.Write([]int16{1, 2}); err != nil {
		t.Fatalf("the last 4 bytes: %v", err)
	}
	if err := w.Write([]int16{3}); !errors.Is(err, ErrWAVFull) {
		t.Errorf("past 4 GiB: %v, want ErrWAVFull", err)
	}
	// A full file is still completed and renamed into place.
	if err := w.Close(); err != nil {
		t.Errorf("Close of a full file: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("full file not in place: %v", err)
	}
}

func TestWAVWriterConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.wav")
	w, err := CreateWAV(path, SampleRate, 2)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			frame := []int16{int16(g), int16(g)}
			for range 1000 {
				w.Write(frame)
				w.Duration()
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readRawWAV(t, path)
	if len(got.samples) != 8000 {
		t.Fatalf("%d samples, want 8000", len(got.samples))
	}
	for i := 0; i < len(got.samples); i += 2 {
		if got.samples[i] != got.samples[i+1] {
			t.Fatalf("frame %d torn: %v", i/2, got.samples[i:i+2])
		}
	}
}

func BenchmarkWAVWriter(b *testing.B) {
	w, err := CreateWAV(filepath.Join(b.TempDir(), "bench.wav"), SampleRate, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Abort()
	frame := make([]int16, 2*FrameSamples)
	copy(frame, ramp(len(frame)))
	b.ReportAllocs()
	b.SetBytes(int64(2 * len(frame)))
	for b.Loop() {
		if err := w.Write(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// Compile-time checks: the writers are Sinks.
var (
	_ Sink = (*WAVWriter)(nil)
	_ Sink = spreadSink{}
)
