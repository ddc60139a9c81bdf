package aec

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

const rate = audio.SampleRate

func load(t testing.TB, name string) []int16 {
	t.Helper()
	c, err := audio.LoadFile(filepath.Join("..", "..", "..", "testdata", "audio", name))
	if err != nil {
		t.Fatal(err)
	}
	return c.Samples
}

func samplesOf(d time.Duration) int { return int(d.Seconds() * rate) }

// room is an echo path like a laptop's: the direct sound 40 ms after it
// was played (device buffers), 6 dB down, then a few decaying reflections.
func room(far []int16) []float64 {
	taps := []struct {
		delay time.Duration
		gain  float64
	}{
		{40 * time.Millisecond, 0.5},
		{47 * time.Millisecond, -0.2},
		{61 * time.Millisecond, 0.12},
		{83 * time.Millisecond, -0.06},
		{120 * time.Millisecond, 0.03},
	}
	echo := make([]float64, len(far))
	for _, tap := range taps {
		d := samplesOf(tap.delay)
		for i := d; i < len(far); i++ {
			echo[i] += tap.gain * float64(far[i-d])
		}
	}
	return echo
}

func energy[T int16 | float64](s []T) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	return e
}

func db(ratio float64) float64 { return 10 * math.Log10(ratio) }

// correlation is the normalised correlation of a and b (1: same shape).
func correlation(a []int16, b []int16) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// The scenario of an agent on open speakers: the agent talks alone (twice,
// so the filter has converged by the second time), then the user talks
// alone, then both at once. The canceller must take the agent's voice out
// of the microphone signal by far, and leave the user's voice in.
func TestCancelsEchoKeepsNearSpeech(t *testing.T) {
	reply := load(t, "reply.wav")
	hello := load(t, "hello.wav")
	question := load(t, "question.wav")

	// Timeline: [reply][reply][hello alone][hello over question].
	n1, n2 := len(reply), 2*len(reply)
	n3 := n2 + len(hello)
	total := n3 + max(len(hello), len(question))
	far := make([]int16, total)
	near := make([]int16, total)
	copy(far, reply)
	copy(far[n1:], reply)
	copy(near[n2:], hello)
	copy(far[n3:], question)
	copy(near[n3:], hello)

	echo := room(far)
	rng := rand.New(rand.NewPCG(1, 2))
	mic := make([]int16, total)
	for i := range mic {
		// A little noise, as every real microphone has (-66 dBFS).
		v := echo[i] + float64(near[i]) + rng.NormFloat64()*16
		mic[i] = int16(max(-32768, min(32767, math.Round(v))))
	}

	c, err := New(rate, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	block := c.BlockSamples()
	total -= total % block
	out := make([]int16, total)
	// In 20 ms frames, as the device glue calls it.
	for off := 0; off+audio.FrameSamples <= total; off += audio.FrameSamples {
		end := off + audio.FrameSamples
		if err := c.Process(mic[off:end], far[off:end], out[off:end]); err != nil {
			t.Fatal(err)
		}
	}

	// Line the output up with its input.
	lag := samplesOf(Latency)
	out = out[lag:]
	total -= lag

	// Echo return loss enhancement while the agent talks alone, once
	// the filter has converged: how much quieter the echo came out.
	erle := db(energy(mic[n1:n2]) / energy(out[n1:n2]))
	t.Logf("ERLE, far end alone: %.1f dB", erle)
	if erle < 25 {
		t.Errorf("echo attenuated by %.1f dB, want at least 25 dB", erle)
	}

	// The user alone comes through unchanged.
	nearOnly := out[n2:n3]
	if corr := correlation(nearOnly, near[n2:n3]); corr < 0.95 {
		t.Errorf("user alone: correlation with the user's speech %.2f, want at least 0.95", corr)
	}
	if loss := db(energy(near[n2:n3]) / energy(nearOnly)); math.Abs(loss) > 1 {
		t.Errorf("user alone: level changed by %.1f dB, want within 1 dB", -loss)
	}

	// Double talk: the user's speech is still there, and dominates the
	// residual echo.
	dt := out[n3:total]
	corrNear := correlation(dt, near[n3:total])
	t.Logf("double talk: correlation with the user %.2f, level change %.1f dB",
		corrNear, -db(energy(near[n3:total])/energy(dt)))
	if corrNear < 0.8 {
		t.Errorf("double talk: correlation with the user's speech %.2f, want at least 0.8", corrNear)
	}
	// What is left of the echo under the user's voice: the part of the
	// output that correlates with the echo (the user's speech does not).
	echoDT := make([]int16, len(dt))
	for i := range echoDT {
		echoDT[i] = int16(echo[n3+i])
	}
	echoIn := func(s []int16) float64 {
		c := correlation(s, echoDT)
		return c * c * energy(s)
	}
	echoLeft := db(echoIn(mic[n3:total]) / echoIn(dt))
	t.Logf("double talk: echo attenuated by %.1f dB", echoLeft)
	if echoLeft < 10 {
		t.Errorf("double talk: echo attenuated by %.1f dB, want at least 10 dB", echoLeft)
	}
}

func TestProcessRejectsBadLengths(t *testing.T) {
	c, err := New(rate, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := c.BlockSamples()
	tests := []struct {
		name            string
		near, far, outN int
	}{
		{"partial block", b + 1, b + 1, b + 1},
		{"far shorter", 2 * b, b, 2 * b},
		{"out shorter", 2 * b, 2 * b, b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Process(make([]int16, tt.near), make([]int16, tt.far), make([]int16, tt.outN))
			if err == nil {
				t.Fatal("Process accepted mismatched lengths")
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		rate int
		tail time.Duration
	}{
		{44100 + 1, 0},
		{96000, 0},
		{48000, time.Millisecond},
		{48000, 10 * time.Second},
	}
	for _, tt := range tests {
		if c, err := New(tt.rate, tt.tail); err == nil {
			c.Close()
			t.Errorf("New(%d, %s) succeeded, want an error", tt.rate, tt.tail)
		}
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	c, err := New(16000, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close()
	f := make([]int16, c.BlockSamples())
	if err := c.Process(f, f, f); err != ErrClosed {
		t.Errorf("Process after Close = %v, want ErrClosed", err)
	}
}

// BenchmarkProcess48k measures the CPU one 20 ms frame costs at 48 kHz with
// the default tail: the canceller's share of a call's CPU.
func BenchmarkProcess48k(b *testing.B) {
	c, err := New(rate, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	near, far, out := audio.NewFrame(), audio.NewFrame(), audio.NewFrame()
	for i := range near {
		near[i] = int16(rng.NormFloat64() * 1000)
		far[i] = int16(rng.NormFloat64() * 1000)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Process(near, far, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(audio.FrameDuration.Nanoseconds())*100, "%cpu")
}
