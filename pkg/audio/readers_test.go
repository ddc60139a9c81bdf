package audio

import (
	"errors"
	"io"
	"testing"
	"time"
)

// readAll reads r to its end and returns its frames joined.
func readAll(t *testing.T, r Reader) []int16 {
	t.Helper()
	var got []int16
	f := NewFrame()
	for range 1_000_000 {
		err := r.ReadFrame(f)
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f...)
	}
	t.Fatal("reader does not end")
	return nil
}

func ramp(n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(i%1000 + 1)
	}
	return s
}

func TestClipReader(t *testing.T) {
	for _, n := range []int{0, 1, FrameSamples - 1, FrameSamples, FrameSamples + 1, 10 * FrameSamples} {
		in := ramp(n)
		got := readAll(t, NewClipReader(in))
		frames := (n + FrameSamples - 1) / FrameSamples
		if len(got) != frames*FrameSamples {
			t.Errorf("%d samples: read %d, want %d frames", n, len(got), frames)
			continue
		}
		if !equalPCM(got[:n], in) {
			t.Errorf("%d samples: read different audio", n)
		}
		for _, v := range got[n:] {
			if v != 0 {
				t.Errorf("%d samples: the last frame is not padded with silence", n)
				break
			}
		}
	}
}

func TestClipReaderLeavesFrameAtEOF(t *testing.T) {
	r := NewClipReader(ramp(10))
	f := NewFrame()
	r.ReadFrame(f)
	f[0] = 42
	if err := r.ReadFrame(f); err != io.EOF || f[0] != 42 {
		t.Errorf("at the end: %v, frame changed to %d", err, f[0])
	}
}

func TestSilence(t *testing.T) {
	tests := []struct {
		d      time.Duration
		frames int
	}{
		{20 * time.Millisecond, 1},
		{50 * time.Millisecond, 3},
		{time.Second, 50},
		{time.Nanosecond, 1},
	}
	for _, tt := range tests {
		f := NewFrame()
		f[5] = 99
		r := Silence(tt.d)
		n := 0
		for r.ReadFrame(f) == nil {
			n++
			for _, v := range f {
				if v != 0 {
					t.Fatalf("Silence(%v) has a non-zero sample", tt.d)
				}
			}
		}
		if n != tt.frames {
			t.Errorf("Silence(%v): %d frames, want %d", tt.d, n, tt.frames)
		}
	}
	endless := Silence(0)
	for i := range 100_000 {
		if err := endless.ReadFrame(NewFrame()); err != nil {
			t.Fatalf("Silence(0) ended after %d frames: %v", i, err)
		}
	}
	if err := Silence(-time.Second).ReadFrame(NewFrame()); err != nil {
		t.Errorf("Silence(-1s) is not endless: %v", err)
	}
}

func TestConcat(t *testing.T) {
	a, b := ramp(FrameSamples+10), ramp(5)
	got := readAll(t, Concat(NewClipReader(a), Concat(), Silence(40*time.Millisecond), NewClipReader(b)))
	want := append(append(append([]int16(nil), a...), make([]int16, FrameSamples-10+2*FrameSamples)...), b...)
	want = append(want, make([]int16, FrameSamples-5)...)
	if !equalPCM(got, want) {
		t.Errorf("Concat read %d samples, want %d (each reader in turn)", len(got), len(want))
	}
	if got := readAll(t, Concat()); len(got) != 0 {
		t.Errorf("empty Concat read %d samples", len(got))
	}

	boom := errors.New("boom")
	r := Concat(NewClipReader(ramp(1)), errReader{boom}, NewClipReader(ramp(1)))
	f := NewFrame()
	r.ReadFrame(f)
	if err := r.ReadFrame(f); err != boom {
		t.Errorf("error %v, want the failing reader's", err)
	}
}

func BenchmarkClipReader(b *testing.B) {
	clip := ramp(10 * SampleRate)
	f := NewFrame()
	r := NewClipReader(clip)
	b.ReportAllocs()
	for b.Loop() {
		if r.ReadFrame(f) == io.EOF {
			r = NewClipReader(clip)
		}
	}
}
