package audio

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// chunkSizes cuts n frames into uneven writes, as the network and the
// recorder deliver them: some smaller than a part, some larger than two.
func chunkSizes(n int) []int {
	pattern := []int{1, 333, 960, 7, 2000, 250, 1}
	var out []int
	for i := 0; n > 0; i++ {
		k := min(pattern[i%len(pattern)], n)
		out = append(out, k)
		n -= k
	}
	return out
}

// TestSplitWAVAcrossBoundaries writes several parts' worth in uneven
// chunks, for layouts whose frame size does and does not divide the limit:
// every part is a complete WAV of whole frames at the limit (the last one
// shorter), readable by DecodeWAV, and the parts together hold exactly the
// samples written, in order.
func TestSplitWAVAcrossBoundaries(t *testing.T) {
	defer leaktest.Check(t)()
	tests := []struct {
		name     string
		channels int
		limit    int64
		perPart  int // frames the limit holds
	}{
		{"mono", 1, 1000, 500},
		{"stereo, limit not whole frames", 2, 1002, 250},
		{"three channels", 3, 1000, 166},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "call.wav")
			s, err := createSplitWAV(path, SampleRate, tt.channels, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			frames := 4*tt.perPart + 123
			in := ramp(frames * tt.channels)
			off := 0
			for _, n := range chunkSizes(frames) {
				if err := s.Write(in[off : off+n*tt.channels]); err != nil {
					t.Fatal(err)
				}
				off += n * tt.channels
				if off/tt.channels > tt.perPart {
					// Past the first boundary: the first part is in
					// place and complete while the rest is written.
					if got := readRawWAV(t, path); len(got.samples) != tt.perPart*tt.channels || got.trailing != 0 {
						t.Fatalf("first part holds %d samples while the second is written, want %d", len(got.samples), tt.perPart*tt.channels)
					}
				}
			}
			if d, want := s.Duration(), time.Duration(frames)*time.Second/SampleRate; d != want {
				t.Errorf("Duration %v, want %v", d, want)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}

			wantParts := []string{path}
			for n := 2; n <= 5; n++ {
				wantParts = append(wantParts, filepath.Join(filepath.Dir(path), "call.part"+string(rune('0'+n))+".wav"))
			}
			if got := s.Parts(); !slices.Equal(got, wantParts) {
				t.Fatalf("Parts %v, want %v", got, wantParts)
			}
			var all []int16
			for i, p := range s.Parts() {
				got := readRawWAV(t, p)
				want := tt.perPart
				if i == 4 {
					want = 123
				}
				if got.channels != tt.channels || got.rate != SampleRate || len(got.samples) != want*tt.channels || got.trailing != 0 {
					t.Errorf("part %d: %d channels at %d Hz, %d samples, %d trailing bytes; want %d frames", i+1, got.channels, got.rate, len(got.samples), got.trailing, want)
				}
				if got.dataSize > uint32(tt.limit) {
					t.Errorf("part %d holds %d bytes, past the limit %d", i+1, got.dataSize, tt.limit)
				}
				all = append(all, got.samples...)
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				clip, err := DecodeWAV(f, p)
				f.Close()
				if err != nil || len(clip.Samples) != want {
					t.Errorf("DecodeWAV of part %d: %v, %d samples, want %d", i+1, err, len(clip.Samples), want)
				}
			}
			if !equalPCM(all, in) {
				t.Errorf("the parts hold %d samples that are not the %d written", len(all), len(in))
			}
			noTempFiles(t, filepath.Dir(path))
		})
	}
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.part-*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// TestSplitWAVBoundaryOnFrameEdge: audio that ends exactly at a limit
// leaves that part full and starts no empty one.
func TestSplitWAVBoundaryOnFrameEdge(t *testing.T) {
	defer leaktest.Check(t)()
	for _, parts := range []int{1, 2} {
		dir := t.TempDir()
		path := filepath.Join(dir, "edge.wav")
		s, err := createSplitWAV(path, SampleRate, 2, int64(4*FrameSamples*2)) // 2 stereo frames of 20 ms
		if err != nil {
			t.Fatal(err)
		}
		frame := ramp(2 * FrameSamples)
		for range 2 * parts {
			if err := s.Sink().Write(frame[:FrameSamples]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got := s.Parts(); len(got) != parts {
			t.Errorf("%d parts after %d full ones: %v", len(got), parts, got)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != parts {
			t.Errorf("%d files in the directory, want %d", len(entries), parts)
		}
		for _, p := range s.Parts() {
			got := readRawWAV(t, p)
			if len(got.samples) != 4*FrameSamples || !equalPCM(got.samples[:2], []int16{frame[0], frame[0]}) {
				t.Errorf("%s: %d samples, want two whole stereo frames of the mono audio", p, len(got.samples))
			}
		}
	}
}

// TestSplitWAVAbort discards every part, those already complete too.
func TestSplitWAVAbort(t *testing.T) {
	defer leaktest.Check(t)()
	dir := t.TempDir()
	s, err := createSplitWAV(filepath.Join(dir, "gone.wav"), SampleRate, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ramp(170)); err != nil { // 4 parts
		t.Fatal(err)
	}
	if n := len(s.Parts()); n != 4 {
		t.Fatalf("%d parts, want 4", n)
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Abort left %d files", len(entries))
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after Abort: %v", err)
	}
	if err := s.Write(ramp(2)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Abort: %v, want ErrClosed", err)
	}
}

// TestSplitWAVRealLimit: without a test limit a part is the most whole
// frames a RIFF header describes; the frames past it go to the next part.
// (The first part is made to look full, as TestWAVWriterFull does, rather
// than written to 4 GiB.)
func TestSplitWAVRealLimit(t *testing.T) {
	defer leaktest.Check(t)()
	path := filepath.Join(t.TempDir(), "long.wav")
	s, err := CreateSplitWAV(path, SampleRate, 2)
	if err != nil {
		t.Fatal(err)
	}
	if s.limit != maxWAVData-maxWAVData%4 || s.limit > maxWAVData {
		t.Fatalf("part limit %d, want the most stereo frames within %d", s.limit, int64(maxWAVData))
	}
	s.cur.data = s.limit - 8 // two frames short of full
	s.cur.synced = s.cur.data
	s.curBytes = s.cur.data
	if err := s.Write([]int16{1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatalf("three frames across the limit: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 44)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Read(head)
	f.Close()
	if err != nil || binary.LittleEndian.Uint32(head[40:]) != uint32(s.limit) {
		t.Errorf("first part's header says %d data bytes, want %d (%v)", binary.LittleEndian.Uint32(head[40:]), s.limit, err)
	}
	if got := readRawWAV(t, PartPath(path, 2)); !equalPCM(got.samples, []int16{5, 6}) {
		t.Errorf("second part holds %v, want the third frame", got.samples)
	}
}

// TestSplitWAVCannotContinue: when the next part cannot be created, the
// parts so far stay complete, and Write and Close say why the recording
// stopped, naming the file.
func TestSplitWAVCannotContinue(t *testing.T) {
	defer leaktest.Check(t)()
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.wav")
	if err := os.Mkdir(PartPath(path, 2), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := createSplitWAV(path, SampleRate, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(ramp(80))
	if err == nil || !strings.Contains(err.Error(), path) || failure.KindOf(err) != failure.Input {
		t.Fatalf("Write into a part that cannot be created: %v", err)
	}
	if err2 := s.Write(ramp(2)); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("next Write: %v, want the same error", err2)
	}
	if err := s.Close(); err == nil {
		t.Error("Close says nothing of the lost audio")
	}
	if got := readRawWAV(t, path); !equalPCM(got.samples, ramp(50)) {
		t.Errorf("first part holds %d samples, want the first 50", len(got.samples))
	}
	noTempFiles(t, dir)
}

// TestRecorderOnSplitWAV: a Recorder keeps its one timeline across parts.
func TestRecorderOnSplitWAV(t *testing.T) {
	defer leaktest.Check(t)()
	path := filepath.Join(t.TempDir(), "rec.wav")
	s, err := createSplitWAV(path, SampleRate, 2, int64(3*FrameSamples*4)) // 3 frames a part
	if err != nil {
		t.Fatal(err)
	}
	r := NewRecorder(s)
	var user []int16
	for i := range 10 {
		f := NewFrame()
		for j := range f {
			f[j] = int16(i*1000 + j%1000)
		}
		user = append(user, f...)
		if err := r.User(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	var left []int16
	for _, p := range s.Parts() {
		got := readRawWAV(t, p)
		for i := 0; i < len(got.samples); i += 2 {
			left = append(left, got.samples[i])
		}
	}
	if len(s.Parts()) != 4 || !equalPCM(left, user) {
		t.Errorf("%d parts holding %d user samples, want 4 parts holding the %d sent", len(s.Parts()), len(left), len(user))
	}
}

// TestSplitWAVConcurrentWrites: writers on several goroutines, across
// many boundaries, never tear a frame nor lose one.
func TestSplitWAVConcurrentWrites(t *testing.T) {
	defer leaktest.Check(t)()
	path := filepath.Join(t.TempDir(), "c.wav")
	s, err := createSplitWAV(path, SampleRate, 2, 4*301) // 301 frames a part
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			frames := []int16{int16(g), int16(g), int16(g), int16(g)}
			for range 1000 {
				if err := s.Write(frames); err != nil {
					t.Error(err)
					return
				}
				s.Duration()
				s.Parts()
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, p := range s.Parts() {
		got := readRawWAV(t, p)
		for i := 0; i < len(got.samples); i += 2 {
			if got.samples[i] != got.samples[i+1] {
				t.Fatalf("%s: frame %d torn: %v", p, i/2, got.samples[i:i+2])
			}
		}
		total += len(got.samples) / 2
	}
	if total != 8000 || len(s.Parts()) != (8000+300)/301 {
		t.Errorf("%d frames in %d parts, want 8000 in %d", total, len(s.Parts()), (8000+300)/301)
	}
}

func TestPartPath(t *testing.T) {
	defer leaktest.Check(t)()
	for _, tt := range []struct {
		path string
		n    int
		want string
	}{
		{"/d/x.wav", 1, "/d/x.wav"},
		{"/d/x.wav", 2, "/d/x.part2.wav"},
		{"/d/20261202T143015Z-abc.wav", 12, "/d/20261202T143015Z-abc.part12.wav"},
		{"rec", 3, "rec.part3"},
	} {
		if got := PartPath(tt.path, tt.n); got != tt.want {
			t.Errorf("PartPath(%q, %d) = %q, want %q", tt.path, tt.n, got, tt.want)
		}
	}
}
