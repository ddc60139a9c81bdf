package call

import (
	"testing"

	"github.com/webcall-cli/webcall/pkg/audio"
)

func TestScriptReader(t *testing.T) {
	// 2.5 frames of speech after 2 frames of lead.
	speech := make([]int16, audio.FrameSamples*5/2)
	for i := range speech {
		speech[i] = 1000
	}
	r := newScriptReader()
	f := audio.NewFrame()
	read := func() clipFrame {
		t.Helper()
		f[0], f[len(f)-1] = 7, 7 // ReadFrame must overwrite everything
		if err := r.ReadFrame(f); err != nil {
			t.Fatal(err)
		}
		return r.last()
	}

	// Before a clip: silence, for as long as it takes.
	for i := 0; i < 5; i++ {
		if c := read(); c.inClip || f[0] != 0 || f[len(f)-1] != 0 {
			t.Fatalf("before a clip: %+v, samples %d..%d", c, f[0], f[len(f)-1])
		}
	}
	gen := r.play(3, speech, 2*audio.FrameDuration)
	want := []struct {
		c           clipFrame
		first, last int16
	}{
		{clipFrame{}, 0, 0},
		{clipFrame{}, 0, 0},
		{clipFrame{inClip: true, turn: 3, gen: gen, first: true}, 1000, 1000},
		{clipFrame{inClip: true, turn: 3, gen: gen}, 1000, 1000},
		{clipFrame{inClip: true, turn: 3, gen: gen, last: true}, 1000, 0}, // the half frame is padded with silence
		{clipFrame{}, 0, 0},
		{clipFrame{}, 0, 0},
	}
	for i, w := range want {
		if c := read(); c != w.c {
			t.Fatalf("frame %d: %+v, want %+v", i, c, w.c)
		}
		if f[0] != w.first || f[len(f)-1] != w.last {
			t.Fatalf("frame %d: samples %d..%d, want %d..%d", i, f[0], f[len(f)-1], w.first, w.last)
		}
	}

	// A clip without lead starts with the next frame; an empty one is
	// still one frame, so its turn is sent like any other.
	gen = r.play(4, nil, 0)
	if c := read(); c != (clipFrame{inClip: true, turn: 4, gen: gen, first: true, last: true}) {
		t.Fatalf("empty clip: %+v", c)
	}
	if c := read(); c.inClip {
		t.Fatalf("after the empty clip: %+v", c)
	}
}

// A clip cut short by stop is silence from the next frame on, and a clip
// of the same turn played again is told apart by its gen.
func TestScriptReaderStop(t *testing.T) {
	r := newScriptReader()
	f := audio.NewFrame()
	speech := make([]int16, 3*audio.FrameSamples)
	for i := range speech {
		speech[i] = 1000
	}
	first := r.play(1, speech, 0)
	if err := r.ReadFrame(f); err != nil || !r.last().inClip {
		t.Fatalf("first frame not in the clip: %+v", r.last())
	}
	r.stop()
	if err := r.ReadFrame(f); err != nil || r.last().inClip || f[0] != 0 {
		t.Fatalf("after stop: %+v, sample %d", r.last(), f[0])
	}
	again := r.play(1, speech, 0)
	if again == first {
		t.Fatalf("the clip played again has the same gen %d", again)
	}
	if err := r.ReadFrame(f); err != nil || r.last() != (clipFrame{inClip: true, turn: 1, gen: again, first: true}) {
		t.Fatalf("played again: %+v", r.last())
	}
}
