package call

import (
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

func TestScriptReaderPhases(t *testing.T) {
	// 2.5 frames of speech, 2 frames of lead, 3 of trail.
	speech := make([]int16, audio.FrameSamples*5/2)
	for i := range speech {
		speech[i] = 1000
	}
	r := newScriptReader(speech, 2*audio.FrameDuration, 3*audio.FrameDuration)
	f := audio.NewFrame()

	// Before start: silence, waiting, for as long as it takes.
	for i := 0; i < 5; i++ {
		if err := r.ReadFrame(f); err != nil {
			t.Fatal(err)
		}
		if r.phase() != phaseWaiting || f[0] != 0 {
			t.Fatalf("before start: phase %d, sample %d", r.phase(), f[0])
		}
	}
	r.start()
	want := []struct {
		ph    phase
		first int16
		last  int16
	}{
		{phaseLead, 0, 0},
		{phaseLead, 0, 0},
		{phaseSpeaking, 1000, 1000},
		{phaseSpeaking, 1000, 1000},
		{phaseSpeaking, 1000, 0}, // the half frame is padded with silence
		{phaseTrailing, 0, 0},
		{phaseTrailing, 0, 0},
		{phaseTrailing, 0, 0},
		{phaseDone, 0, 0},
		{phaseDone, 0, 0},
	}
	for i, w := range want {
		f[0], f[len(f)-1] = 7, 7 // ReadFrame must overwrite everything
		if err := r.ReadFrame(f); err != nil {
			t.Fatal(err)
		}
		if got := r.phase(); got != w.ph {
			t.Fatalf("frame %d: phase %d, want %d", i, got, w.ph)
		}
		if f[0] != w.first || f[len(f)-1] != w.last {
			t.Fatalf("frame %d: samples %d..%d, want %d..%d", i, f[0], f[len(f)-1], w.first, w.last)
		}
	}
	if d := r.speechDuration(); d != 50*time.Millisecond {
		t.Fatalf("speech duration %s", d)
	}
}

func TestFramesIn(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int
	}{{0, 0}, {time.Millisecond, 1}, {20 * time.Millisecond, 1}, {21 * time.Millisecond, 2}, {1500 * time.Millisecond, 75}} {
		if got := framesIn(c.d); got != c.want {
			t.Errorf("framesIn(%s) = %d, want %d", c.d, got, c.want)
		}
	}
}
