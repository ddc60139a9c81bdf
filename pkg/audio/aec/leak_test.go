package aec

import (
	"slices"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// voicedFrames counts the 20 ms frames of s an agent would take for
// speech: above audio.SpeechThresholdDBFS.
func voicedFrames(s []int16) int {
	n := 0
	for off := 0; off+audio.FrameSamples <= len(s); off += audio.FrameSamples {
		if audio.DBFS(audio.RMS(s[off:off+audio.FrameSamples])) > audio.SpeechThresholdDBFS {
			n++
		}
	}
	return n
}

// streamRun is what runStream saw.
type streamRun struct {
	out      []int16 // lined up with mic (Latency taken off)
	silenced int     // stretches the guard silenced
	jumps    []int   // the mic samples after which Jumps went up
}

// runStream feeds mic and far through a Stream, a frame at a time.
func runStream(t *testing.T, mic, far []int16, guard bool) streamRun {
	t.Helper()
	s, err := NewStream(rate, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.guard.off = !guard
	var r streamRun
	for off := 0; off+audio.FrameSamples <= len(far); off += audio.FrameSamples {
		end := off + audio.FrameSamples
		j := s.Jumps()
		if r.out, err = s.Process(r.out, mic[off:end], far[off:end]); err != nil {
			t.Fatal(err)
		}
		if s.Jumps() != j {
			r.jumps = append(r.jumps, end)
		}
	}
	r.out, r.silenced = r.out[samplesOf(Latency):], s.Silenced()
	return r
}

// movedAfter returns the first jump after sample at, or -1.
func (r streamRun) movedAfter(at int) int {
	for _, j := range r.jumps {
		if j > at {
			return j
		}
	}
	return -1
}

// The echo's path moves mid-reply by 12 ms towards the speaker (a sound
// server recovering from an underrun), past the margin the reference
// leads by: the filter cannot cancel an echo that comes before its
// reference, and lets it through until the Stream has moved the
// reference and says so (Jumps), after which the microphone is muted
// while the filter learns the path again (pkg/audio/device). The guard
// silences the echo until then, and has the reference moved sooner: an
// agent hears no more than a frame or two of its own voice, where
// without the guard it hears a quarter of a second or more, enough to
// take for the user's speech.
func TestStreamSilencesTheEchoItCannotCancel(t *testing.T) {
	reply := load(t, "reply.wav")
	far := repeat(reply, 3)
	jumpAt := len(reply) + len(reply)/2
	mic := echoPath(far, nil, func(i int) int {
		if i < jumpAt {
			return samplesOf(30 * time.Millisecond)
		}
		return samplesOf(18 * time.Millisecond)
	})
	leaked := func(r streamRun) (frames int, after time.Duration) {
		moved := r.movedAfter(jumpAt)
		if moved < 0 {
			t.Fatalf("the Stream never moved its reference after the jump (jumps at %v)", r.jumps)
		}
		return voicedFrames(r.out[jumpAt:moved]), time.Duration(moved-jumpAt) * time.Second / rate
	}
	unguarded, guarded := runStream(t, mic, far, false), runStream(t, mic, far, true)
	without, late := leaked(unguarded)
	with, soon := leaked(guarded)
	t.Logf("without the guard: moved %v after the jump, %d voiced frames of echo before; with it: %v, %d (%d stretches silenced)",
		late, without, soon, with, guarded.silenced)
	if with > 2 {
		t.Errorf("with the guard, %d frames of echo (above %v dBFS) reached the output before the reference moved, want at most 2", with, audio.SpeechThresholdDBFS)
	}
	if soon > 250*time.Millisecond {
		t.Errorf("with the guard, the reference moved %v after the jump, want within 250ms", soon)
	}
	if without < 10 {
		t.Errorf("without the guard only %d frames of echo got through: the jump does not test the guard", without)
	}
	// Before the jump the filter cancels, and the guard stays out of the
	// way: both outputs are the same.
	before := func(r streamRun) []int16 { return r.out[len(reply) : jumpAt-2*audio.FrameSamples] }
	if a, b := before(unguarded), before(guarded); !slices.Equal(a, b) {
		t.Errorf("before the jump the guard changed the output (correlation %.3f)", correlation(a, b))
	}
}

// The user talks over the agent, as loud as its echo: the canceller takes
// the echo out, the output is the user's voice, and the guard, which only
// silences what still sounds like the far end, lets it all through.
func TestLeakGuardKeepsTheUserTalkingOverTheAgent(t *testing.T) {
	reply := load(t, "reply.wav")
	far := repeat(reply, 3)
	question := load(t, "question.wav")
	user := make([]int16, len(far))
	at := 2*len(reply) + len(reply)/4
	for i, v := range question {
		if at+i < len(user) {
			user[at+i] = v / 2 // about the echo's level (room() is 6 dB down)
		}
	}
	mic := echoPath(far, user, func(int) int { return samplesOf(17 * time.Millisecond) })
	guarded, unguarded := runStream(t, mic, far, true).out, runStream(t, mic, far, false).out
	span := func(s []int16) []int16 { return s[at:min(len(s), at+len(question))] }
	g, u := voicedFrames(span(guarded)), voicedFrames(span(unguarded))
	t.Logf("the user's speech over the agent: %d voiced frames with the guard, %d without", g, u)
	if g < u-1 {
		t.Errorf("the guard silenced the user talking over the agent: %d voiced frames with it, %d without", g, u)
	}
	if r := correlation(span(guarded), span(user)); r < 0.8 {
		t.Errorf("the output correlates %.2f with the user's voice, want 0.8 or more", r)
	}
}
