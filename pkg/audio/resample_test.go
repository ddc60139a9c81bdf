package audio

import (
	"fmt"
	"math"
	"testing"
)

// sine returns n samples of a sine of freq Hz at rate, of peak amp (full
// scale 1).
func sine(n, rate int, freq, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return s
}

// toneFit measures a tone of freq Hz in s (at rate): the amplitude of its
// best-fitting sine (full scale 1), and the level of everything else
// relative to it in dB. It fits over a whole number of periods.
func toneFit(s []int16, rate int, freq float64) (amp, residualDB float64) {
	period := float64(rate) / freq
	n := int(math.Floor(float64(len(s))/period) * period)
	var a, b float64
	for i := 0; i < n; i++ {
		w := 2 * math.Pi * freq * float64(i) / float64(rate)
		x := float64(s[i]) / 32768
		a += x * math.Sin(w)
		b += x * math.Cos(w)
	}
	a, b = 2*a/float64(n), 2*b/float64(n)
	var res, sig float64
	for i := 0; i < n; i++ {
		w := 2 * math.Pi * freq * float64(i) / float64(rate)
		fit := a*math.Sin(w) + b*math.Cos(w)
		x := float64(s[i]) / 32768
		res += (x - fit) * (x - fit)
		sig += fit * fit
	}
	return math.Hypot(a, b), 10 * math.Log10(res/sig)
}

// zeroCrossings counts sign changes from negative to non-negative.
func zeroCrossings(s []int16) int {
	n := 0
	for i := 1; i < len(s); i++ {
		if s[i-1] < 0 && s[i] >= 0 {
			n++
		}
	}
	return n
}

func TestResampleKeepsToneFrequencyAndLevel(t *testing.T) {
	tests := []struct {
		from, to int
		freq     float64
	}{
		{16000, 48000, 1000},
		{44100, 48000, 1000},
		{48000, 8000, 1000},
		{8000, 48000, 1000},
		{22050, 48000, 1000},
		{11025, 48000, 3000},
		{48000, 44100, 1000},
		{48000, 16000, 5000},
		{48000, 8000, 3500}, // just inside the passband (90 % of 4 kHz)
		{8001, 48000, 1000}, // an odd ratio: interpolated filter phases
		{96000, 48000, 1000},
	}
	for _, tt := range tests {
		in := sine(tt.from, tt.from, tt.freq, 0.5) // one second
		out := Resample(in, tt.from, tt.to)
		wantLen := (len(in)*tt.to + tt.from - 1) / tt.from
		if len(out) != wantLen {
			t.Errorf("%d->%d: got %d samples, want %d", tt.from, tt.to, len(out), wantLen)
			continue
		}
		// Judge the steady state: the ends see the silence around the
		// clip through the filter.
		mid := out[tt.to/10 : len(out)-tt.to/10]
		amp, residual := toneFit(mid, tt.to, tt.freq)
		if gain := 20 * math.Log10(amp/0.5); math.Abs(gain) > 0.05 {
			t.Errorf("%d->%d, %.0f Hz: gain %.3f dB, want 0", tt.from, tt.to, tt.freq, gain)
		}
		// Everything but the tone (aliases, images, distortion) is
		// near the 16-bit floor.
		if residual > -75 {
			t.Errorf("%d->%d, %.0f Hz: noise and distortion %.1f dB below the tone, want at least 75", tt.from, tt.to, tt.freq, -residual)
		}
		wantCross := tt.freq * float64(len(mid)) / float64(tt.to)
		if got := float64(zeroCrossings(mid)); math.Abs(got-wantCross) > 1 {
			t.Errorf("%d->%d: %v zero crossings, want %.0f (a %.0f Hz tone)", tt.from, tt.to, got, wantCross, tt.freq)
		}
	}
}

func TestResampleRejectsAliases(t *testing.T) {
	// A 6 kHz tone cannot exist at 8 kHz; it must vanish rather than fold
	// down to 2 kHz. The same for 30 kHz going from 96 to 48 kHz.
	tests := []struct {
		from, to int
		freq     float64
	}{
		{48000, 8000, 6000},
		{48000, 8000, 4100},
		{96000, 48000, 30000},
		{44100, 16000, 9000},
	}
	for _, tt := range tests {
		out := Resample(sine(tt.from, tt.from, tt.freq, 0.9), tt.from, tt.to)
		mid := out[tt.to/10 : len(out)-tt.to/10]
		if db := DBFS(RMS(mid)); db > -85 {
			t.Errorf("%d->%d: a %.0f Hz tone comes out at %.1f dBFS, want below -85", tt.from, tt.to, tt.freq, db)
		}
	}
}

func TestResampleKeepsTimeAlignment(t *testing.T) {
	// An impulse at 0.5 s comes out at 0.5 s: the filter is centred, so
	// the whole-clip conversion adds no delay.
	for _, rates := range [][2]int{{16000, 48000}, {44100, 48000}, {48000, 8000}} {
		from, to := rates[0], rates[1]
		in := make([]int16, from)
		in[from/2] = 20000
		out := Resample(in, from, to)
		peak := 0
		for i, v := range out {
			if abs16(v) > abs16(out[peak]) {
				peak = i
			}
		}
		if want := to / 2; peak < want-1 || peak > want+1 {
			t.Errorf("%d->%d: impulse at sample %d, want %d", from, to, peak, want)
		}
	}
}

func abs16(v int16) int {
	if v < 0 {
		return -int(v)
	}
	return int(v)
}

func TestResamplerStreamsLikeResample(t *testing.T) {
	in := make([]int16, 12000)
	copy(in, sine(len(in), 44100, 440, 0.3))
	for i := range in { // and some noise, so every sample matters
		in[i] += int16((i*7919)%201 - 100)
	}
	for _, rates := range [][2]int{{44100, 48000}, {48000, 8000}, {16000, 48000}, {8001, 48000}, {48000, 48000}} {
		want := Resample(in, rates[0], rates[1])
		for _, chunk := range []int{1, 7, 441, 4096} {
			r, err := NewResampler(rates[0], rates[1])
			if err != nil {
				t.Fatal(err)
			}
			var got []int16
			for i := 0; i < len(in); i += chunk {
				got = append(got, r.Process(in[i:min(i+chunk, len(in))])...)
			}
			got = append(got, r.Flush()...)
			if !equalPCM(got, want) {
				t.Errorf("%d->%d in chunks of %d: %d samples differ from Resample's %d", rates[0], rates[1], chunk, len(got), len(want))
			}
			// After Flush the Resampler starts over.
			again := append([]int16(nil), r.Process(in)...)
			again = append(again, r.Flush()...)
			if !equalPCM(again, want) {
				t.Errorf("%d->%d: a second stream after Flush differs", rates[0], rates[1])
			}
			r.Close()
			r.Close()
			if out := r.Process(in); len(out) != 0 {
				t.Errorf("Process after Close returned %d samples", len(out))
			}
		}
	}
}

func equalPCM(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNewResamplerRejectsBadRates(t *testing.T) {
	for _, rates := range [][2]int{{0, 48000}, {48000, -1}, {500, 48000}, {48000, 1_000_000}, {0, 0}} {
		if _, err := NewResampler(rates[0], rates[1]); err == nil {
			t.Errorf("NewResampler(%d, %d) accepted bad rates", rates[0], rates[1])
		}
		if out := Resample([]int16{1, 2, 3}, rates[0], rates[1]); out != nil && rates[0] != rates[1] {
			t.Errorf("Resample(%d, %d) = %v, want nil", rates[0], rates[1], out)
		}
	}
}

func TestResampleClipsInsteadOfWrapping(t *testing.T) {
	// A full-scale square wave overshoots through any band-limiting
	// filter (Gibbs); the peaks must clip, not wrap around to the other
	// sign.
	in := make([]int16, 16000)
	for i := range in {
		in[i] = 32767
		if (i/40)%2 == 1 {
			in[i] = -32768
		}
	}
	out := Resample(in, 16000, 48000)
	for i := 1; i < len(out); i++ {
		if d := int(out[i]) - int(out[i-1]); d > 40000 || d < -40000 {
			t.Fatalf("sample %d jumps from %d to %d: wrapped around", i, out[i-1], out[i])
		}
	}
}

func BenchmarkResample(b *testing.B) {
	for _, rates := range [][2]int{{16000, 48000}, {44100, 48000}, {48000, 8000}, {48000, 16000}} {
		in := sine(rates[0], rates[0], 1000, 0.5) // one second
		b.Run(benchName(rates), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(2 * len(in)))
			for b.Loop() {
				Resample(in, rates[0], rates[1])
			}
		})
	}
}

// BenchmarkResamplerStream converts device-sized chunks (10 ms) as device
// glue does: after the first chunks it must not allocate.
func BenchmarkResamplerStream(b *testing.B) {
	for _, rates := range [][2]int{{44100, 48000}, {48000, 44100}, {48000, 16000}, {16000, 48000}} {
		chunk := sine(rates[0]/100, rates[0], 1000, 0.5)
		b.Run(benchName(rates), func(b *testing.B) {
			r, err := NewResampler(rates[0], rates[1])
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			r.Process(chunk)
			b.ReportAllocs()
			b.SetBytes(int64(2 * len(chunk)))
			for b.Loop() {
				r.Process(chunk)
			}
		})
	}
}

func benchName(rates [2]int) string { return fmt.Sprintf("%dto%d", rates[0], rates[1]) }
