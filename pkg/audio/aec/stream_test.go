package aec

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// echoPath is a microphone that hears far through room() delayed by a
// further extra(i) samples at sample i (device buffers, which can jump),
// plus near speech and a little noise.
func echoPath(far, near []int16, extra func(i int) int) []int16 {
	echo := room(far) // 40 ms and later
	rng := rand.New(rand.NewPCG(3, 4))
	mic := make([]int16, len(far))
	for i := range mic {
		v := rng.NormFloat64() * 16
		if j := i - extra(i); j >= 0 {
			v += echo[j]
		}
		if i < len(near) {
			v += float64(near[i])
		}
		mic[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return mic
}

// repeat returns s n times over.
func repeat(s []int16, n int) []int16 {
	var out []int16
	for range n {
		out = append(out, s...)
	}
	return out
}

// The estimator measures the echo's delay (the room's direct path, 40 ms,
// plus 17 ms of buffers) within a second of the agent's speech, and again
// after the buffers jump by 10 ms, as PulseAudio's do after an underrun.
func TestDelayEstimatorFollowsTheEcho(t *testing.T) {
	far := repeat(load(t, "reply.wav"), 2)
	jumpAt := len(far) / 2
	mic := echoPath(far, nil, func(i int) int {
		if i < jumpAt {
			return samplesOf(17 * time.Millisecond)
		}
		return samplesOf(27 * time.Millisecond)
	})
	e := newDelayEstimator(rate, MaxDelay)
	type measure struct {
		at    int
		delay time.Duration
	}
	var got []measure
	for off := 0; off+audio.FrameSamples <= len(far); off += audio.FrameSamples {
		if e.push(mic[off:off+audio.FrameSamples], far[off:off+audio.FrameSamples]) {
			d, _ := e.delay()
			got = append(got, measure{off, d})
			t.Logf("at %.2fs: %v", float64(off)/rate, d)
		}
	}
	if len(got) != 2 {
		t.Fatalf("measured %d delays, want 2 (before and after the jump): %+v", len(got), got)
	}
	near := func(d, want time.Duration) bool { return (d - want).Abs() <= 500*time.Microsecond }
	if !near(got[0].delay, 57*time.Millisecond) || got[0].at > samplesOf(1500*time.Millisecond) {
		t.Errorf("first measure %v at %.2fs, want 57ms within 1.5s", got[0].delay, float64(got[0].at)/rate)
	}
	if !near(got[1].delay, 67*time.Millisecond) || got[1].at > jumpAt+samplesOf(time.Second) {
		t.Errorf("after the jump: %v at %.2fs, want 67ms within 1s of %.2fs", got[1].delay,
			float64(got[1].at)/rate, float64(jumpAt)/rate)
	}
}

// With a headset the microphone never hears the speaker: the estimator
// must not make up a delay out of the user's unrelated speech.
func TestDelayEstimatorWithoutEcho(t *testing.T) {
	far := repeat(load(t, "reply.wav"), 2)
	user := repeat(load(t, "question.wav"), 2)
	mic := echoPath(make([]int16, len(far)), user, func(int) int { return 0 })
	e := newDelayEstimator(rate, MaxDelay)
	for off := 0; off+audio.FrameSamples <= len(far); off += audio.FrameSamples {
		if e.push(mic[off:off+audio.FrameSamples], far[off:off+audio.FrameSamples]) {
			d, _ := e.delay()
			t.Fatalf("measured a delay of %v with no echo at all", d)
		}
	}
}

// A Stream keeps cancelling when the echo's delay jumps: it measures the
// new delay and moves the reference, while a canceller lined up once
// loses the echo for seconds. The jump here is larger than the filter's
// margin, so without the move the echo arrives before its reference.
func TestStreamFollowsADelayJump(t *testing.T) {
	reply := load(t, "reply.wav")
	far := repeat(reply, 4)
	jumpAt := 2 * len(reply)
	mic := echoPath(far, nil, func(i int) int {
		if i < jumpAt {
			return samplesOf(60 * time.Millisecond)
		}
		return samplesOf(30 * time.Millisecond)
	})
	run := func(track bool) (before, after float64) {
		s, err := NewStream(rate, 20*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if !track {
			// Lined up by hand with the echo before the jump, and
			// never moved.
			s.est.maxLag = -1
			s.delay = samplesOf(90 * time.Millisecond)
			s.farQ = make([]int16, s.delay)
		}
		var out []int16
		for off := 0; off+audio.FrameSamples <= len(far); off += audio.FrameSamples {
			end := off + audio.FrameSamples
			if out, err = s.Process(out, mic[off:end], far[off:end]); err != nil {
				t.Fatal(err)
			}
		}
		lag := samplesOf(Latency)
		out = out[lag:]
		// The second reply (converged) and the fourth (a reply's
		// time after the jump).
		r2 := mic[len(reply) : 2*len(reply)]
		r4 := mic[3*len(reply) : len(out)]
		return db(energy(r2) / energy(out[len(reply):2*len(reply)])), db(energy(r4) / energy(out[3*len(reply):]))
	}
	before, after := run(true)
	t.Logf("tracking: %.1f dB less echo before the jump, %.1f dB after", before, after)
	_, fixed := run(false)
	t.Logf("fixed alignment: %.1f dB after the jump", fixed)
	if before < 30 || after < 30 {
		t.Errorf("tracking stream: %.1f dB and %.1f dB less echo, want 30 dB or more both before and after the jump", before, after)
	}
	if after < fixed+10 {
		t.Errorf("after the jump, tracking took %.1f dB off, a fixed alignment %.1f dB: want tracking far better", after, fixed)
	}
}

func TestStreamRejectsBadInput(t *testing.T) {
	if _, err := NewStream(44100, 0); err == nil {
		t.Error("NewStream(44100) succeeded; the estimator needs a multiple of 4000 Hz")
	}
	s, err := NewStream(rate, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Process(nil, make([]int16, 10), make([]int16, 9)); err == nil {
		t.Error("Process accepted near and far of different lengths")
	}
}

// BenchmarkStream48k measures the CPU one 20 ms frame costs with the delay
// estimator at work: the agent talking, its echo in the microphone.
func BenchmarkStream48k(b *testing.B) {
	far := repeat(load(b, "reply.wav"), 2)
	mic := echoPath(far, nil, func(int) int { return samplesOf(17 * time.Millisecond) })
	s, err := NewStream(rate, 20*time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var out []int16
	off := 0
	b.ReportAllocs()
	for b.Loop() {
		if off+audio.FrameSamples > len(far) {
			off = 0
		}
		end := off + audio.FrameSamples
		if out, err = s.Process(out[:0], mic[off:end], far[off:end]); err != nil {
			b.Fatal(err)
		}
		off = end
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(audio.FrameDuration.Nanoseconds())*100, "%cpu")
}

// history returns the last n samples pushed, oldest first, across the
// moves that keep its buffer bounded.
func TestHistoryKeepsTheLastSamples(t *testing.T) {
	h := newHistory(3)
	for i := 1; i <= 20; i++ {
		h.push(float64(i))
		want := []float64{}
		for v := max(1, i-2); v <= i; v++ {
			want = append(want, float64(v))
		}
		if got := h.last(); !slices.Equal(got, want) {
			t.Fatalf("after pushing 1..%d: last() = %v, want %v", i, got, want)
		}
		if h.full() != (i >= 3) || cap(h.buf) > 6 {
			t.Fatalf("after %d pushes: full %v, capacity %d", i, h.full(), cap(h.buf))
		}
	}
}
