package audio

// Why a resampler of our own: the far side runs speech recognition on what
// webcall sends, so conversion must not alias or dull the audio, and the
// choice was between libsoxr (through livekit/media-sdk) and a windowed-sinc
// filter in Go. media-sdk's binding runs soxr at its low-quality setting,
// panics on soxr errors and buffers whole output frames of its own choosing;
// calling soxr directly would tie this package to cgo. A polyphase
// windowed-sinc filter is a hundred lines of plain Go, gives the same
// quality (90 dB stopband, flat to 90 % of the lower Nyquist frequency) with
// exact, predictable lengths and latency, is testable without C libraries,
// and costs a few milliseconds of CPU per second of audio (see the
// BenchmarkResample* results).

import (
	"fmt"
	"math"
)

// Filter design. The passband runs to 90 % of the lower of the two Nyquist
// frequencies and the stopband starts at that Nyquist frequency, so nothing
// above it folds back. 90 dB of stopband attenuation is below the noise floor
// of 16-bit audio heard at speech levels.
const (
	passbandEdge  = 0.90
	stopbandAtten = 90.0 // dB
	// maxExactPhases bounds the table of per-phase filters: ratios whose
	// reduced numerator is larger (odd rates such as 44100->48001) use
	// interpolatedPhases phases and interpolate linearly between them,
	// which stays far below the 16-bit noise floor.
	maxExactPhases     = 1024
	interpolatedPhases = 512
	// Rates beyond these are not audio this program deals with.
	minResampleRate = 1000
	maxResampleRate = 384000
)

// polyphase is the filter state shared by Resample and Resampler: it turns
// a stream of float samples at one rate into a stream at another.
type polyphase struct {
	up, down int // output rate / input rate, reduced: up/down
	taps     int // filter length in input samples (even)
	phases   int // rows in coef, not counting the extra last row
	exact    bool
	coef     []float32 // (phases+1) rows of taps coefficients

	// Streaming state. hist holds input samples with absolute indices
	// histStart, histStart+1, ...; index 0 is the first input sample and
	// negative indices are the silence before it.
	hist      []float32
	histStart int64
	pos       int64 // integer part of the next output's input position
	frac      int   // fractional part, in units of 1/up
	totalIn   int64
	totalOut  int64
}

func newPolyphase(fromRate, toRate int) (*polyphase, error) {
	if fromRate < minResampleRate || fromRate > maxResampleRate || toRate < minResampleRate || toRate > maxResampleRate {
		return nil, fmt.Errorf("resample %d Hz to %d Hz: rates must be between %d and %d Hz", fromRate, toRate, minResampleRate, maxResampleRate)
	}
	g := gcd(fromRate, toRate)
	p := &polyphase{up: toRate / g, down: fromRate / g}

	// Work in input samples. ratio < 1 when decimating: the filter then
	// cuts at the output's Nyquist frequency and gets longer in
	// proportion.
	ratio := math.Min(1, float64(toRate)/float64(fromRate))
	nyquist := 0.5 * ratio // cycles per input sample
	transition := nyquist * (1 - passbandEdge)
	cutoff := nyquist * (1 + passbandEdge) / 2
	// Kaiser's estimates for the window length and shape.
	length := (stopbandAtten - 8) / (2.285 * 2 * math.Pi * transition)
	half := length / 2
	beta := 0.1102 * (stopbandAtten - 8.7)
	p.taps = 2 * int(math.Ceil(half))

	p.phases, p.exact = p.up, true
	if p.up > maxExactPhases {
		p.phases, p.exact = interpolatedPhases, false
	}
	p.coef = make([]float32, (p.phases+1)*p.taps)
	i0beta := besselI0(beta)
	row := make([]float64, p.taps)
	for ph := 0; ph <= p.phases; ph++ {
		phase := float64(ph) / float64(p.phases)
		var sum float64
		for j := range row {
			// Tap j multiplies input pos-taps/2+1+j; its distance
			// from the output's position pos+phase is:
			x := phase + float64(p.taps/2-1-j)
			v := 0.0
			if r := x / half; r > -1 && r < 1 {
				v = 2 * cutoff * sinc(2*cutoff*x) * besselI0(beta*math.Sqrt(1-r*r)) / i0beta
			}
			row[j] = v
			sum += v
		}
		// Each row sums to exactly 1 so that DC and low frequencies
		// pass at unit gain whatever the phase (no ripple at the
		// output rate).
		for j, v := range row {
			p.coef[ph*p.taps+j] = float32(v / sum)
		}
	}
	p.reset()
	return p, nil
}

// reset starts a new stream: the filter sees silence before the first
// sample, so the first output needs taps/2-1 samples of history.
func (p *polyphase) reset() {
	p.hist = p.hist[:0]
	for i := 0; i < p.taps/2-1; i++ {
		p.hist = append(p.hist, 0)
	}
	p.histStart = -int64(p.taps/2 - 1)
	p.pos, p.frac, p.totalIn, p.totalOut = 0, 0, 0, 0
}

// process consumes in and appends every output sample whose inputs are all
// known to out.
func (p *polyphase) process(out []float32, in []float32) []float32 {
	p.hist = append(p.hist, in...)
	p.totalIn += int64(len(in))
	out = p.emit(out, -1)
	// Drop history the next output no longer needs.
	if drop := int(p.pos - int64(p.taps/2) + 1 - p.histStart); drop > 0 {
		drop = min(drop, len(p.hist))
		n := copy(p.hist, p.hist[drop:])
		p.hist = p.hist[:n]
		p.histStart += int64(drop)
	}
	return out
}

// flush appends the outputs still due for the input so far (their filters
// reach past the end, into silence) and starts a new stream. In all, a
// stream of n input samples yields ceil(n*up/down) output samples: the same
// span of time.
func (p *polyphase) flush(out []float32) []float32 {
	want := (p.totalIn*int64(p.up) + int64(p.down) - 1) / int64(p.down)
	for i := 0; i < p.taps/2; i++ {
		p.hist = append(p.hist, 0)
	}
	out = p.emit(out, want)
	p.reset()
	return out
}

// emit appends outputs while their inputs are in hist, and (if limit >= 0)
// while fewer than limit have been produced in all.
func (p *polyphase) emit(out []float32, limit int64) []float32 {
	end := p.histStart + int64(len(p.hist))
	half := int64(p.taps / 2)
	step, stepFrac := int64(p.down/p.up), p.down%p.up
	for p.pos+half < end && (limit < 0 || p.totalOut < limit) {
		first := int(p.pos - half + 1 - p.histStart)
		x := p.hist[first : first+p.taps]
		var y float32
		if p.exact {
			y = dot(p.coef[p.frac*p.taps:(p.frac+1)*p.taps], x)
		} else {
			at := float64(p.frac) / float64(p.up) * float64(p.phases)
			row := int(at)
			w := float32(at - float64(row))
			a := dot(p.coef[row*p.taps:(row+1)*p.taps], x)
			b := dot(p.coef[(row+1)*p.taps:(row+2)*p.taps], x)
			y = a + w*(b-a)
		}
		out = append(out, y)
		p.totalOut++
		p.pos += step
		p.frac += stepFrac
		if p.frac >= p.up {
			p.frac -= p.up
			p.pos++
		}
	}
	return out
}

func dot(c, x []float32) float32 {
	x = x[:len(c)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(c); i += 4 {
		s0 += c[i] * x[i]
		s1 += c[i+1] * x[i+1]
		s2 += c[i+2] * x[i+2]
		s3 += c[i+3] * x[i+3]
	}
	for ; i < len(c); i++ {
		s0 += c[i] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the modified Bessel function of the first kind, order 0, by
// its power series (converges quickly for the arguments a Kaiser window
// uses).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 200; k++ {
		f := x / (2 * float64(k))
		term *= f * f
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Resample converts a whole clip of PCM16 from fromRate to toRate and returns
// a new slice of ceil(len(in)*toRate/fromRate) samples. It returns a copy
// when the rates are equal, and nil when a rate is outside 1 kHz to 384 kHz.
func Resample(in []int16, fromRate, toRate int) []int16 {
	if fromRate == toRate {
		return append([]int16(nil), in...)
	}
	f := make([]float32, len(in))
	pcm16ToFloat(f, in)
	return resampleFloatToPCM16(f, fromRate, toRate)
}

// resampleFloatToPCM16 resamples a whole clip of floats and quantizes it.
func resampleFloatToPCM16(in []float32, fromRate, toRate int) []int16 {
	p, err := newPolyphase(fromRate, toRate)
	if err != nil {
		return nil
	}
	n := (int64(len(in))*int64(p.up) + int64(p.down) - 1) / int64(p.down)
	out := make([]float32, 0, n)
	out = p.process(out, in)
	out = p.flush(out)
	pcm := make([]int16, len(out))
	floatToPCM16(pcm, out)
	return pcm
}

func pcm16ToFloat(dst []float32, src []int16) {
	for i, v := range src {
		dst[i] = float32(v) / (1 << 15)
	}
}

// Resampler converts a stream of PCM16 from one rate to another, chunk by
// chunk, for device glue whose hardware runs at another rate. Over a whole
// stream its output is exactly Resample's, with no seams between chunks;
// each chunk's last outputs wait for the next chunk to bring the inputs
// their filter needs (half the filter: about 1.3 ms from 44.1 to 48 kHz,
// 7 ms from 48 to 8 kHz).
// A Resampler is not safe for concurrent use.
type Resampler struct {
	p        *polyphase // nil when the rates are equal
	in, outF []float32
	out      []int16
	closed   bool
}

// NewResampler returns a Resampler from fromRate to toRate (1 kHz to
// 384 kHz). Equal rates make a Resampler that copies.
func NewResampler(fromRate, toRate int) (*Resampler, error) {
	r := &Resampler{}
	if fromRate == toRate {
		if fromRate < minResampleRate || fromRate > maxResampleRate {
			return nil, fmt.Errorf("resample %d Hz: rate must be between %d and %d Hz", fromRate, minResampleRate, maxResampleRate)
		}
		return r, nil
	}
	p, err := newPolyphase(fromRate, toRate)
	if err != nil {
		return nil, err
	}
	r.p = p
	return r, nil
}

// Process converts in and returns the output samples that are complete so
// far; the rest follow with the next call or Flush. The returned slice is
// owned by the Resampler and valid until the next call of Process or Flush:
// write it on at once, or copy it. Nothing is allocated once the chunks stop
// growing.
func (r *Resampler) Process(in []int16) []int16 {
	if r.closed {
		return nil
	}
	if r.p == nil {
		r.out = append(r.out[:0], in...)
		return r.out
	}
	r.in = growFloat(r.in, len(in))
	pcm16ToFloat(r.in, in)
	r.outF = r.p.process(r.outF[:0], r.in)
	return r.quantize()
}

// Flush returns the output still held back at the end of a stream (the
// filter's delay) and resets the Resampler for a new stream. The returned
// slice follows the same rule as Process's.
func (r *Resampler) Flush() []int16 {
	if r.closed {
		return nil
	}
	if r.p == nil {
		return r.out[:0]
	}
	r.outF = r.p.flush(r.outF[:0])
	return r.quantize()
}

// Close releases the Resampler's buffers. It is safe to call more than once;
// Process and Flush return nothing afterwards.
func (r *Resampler) Close() {
	*r = Resampler{closed: true}
}

func (r *Resampler) quantize() []int16 {
	if cap(r.out) < len(r.outF) {
		r.out = make([]int16, len(r.outF))
	}
	r.out = r.out[:len(r.outF)]
	floatToPCM16(r.out, r.outF)
	return r.out
}

func growFloat(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}
