package aec

import (
	"math"
	"time"
)

// The delay estimator finds how long after the speaker played a sound its
// echo reaches the microphone, by cross-correlating the two signals.
//
// The canceller needs it because its filter only models echoes that arrive
// within its tail after the reference sample: a reference that is late
// cannot cancel anything, and one that is early wastes the tail (and the
// adaptation time a longer tail costs). The sound server's reported
// latencies are only a rough guide, and the real delay moves during a call:
// on a busy machine PulseAudio and ALSA recover from an underrun by
// shifting the microphone against the speaker by a whole buffer. Measured
// on the test loopback, a 10 ms jump like that left the echo uncancelled
// for two seconds while the filter relearnt the path; with the delay
// tracked, the reference moves with the echo and the filter stays right.
//
// The work is done at 4 kHz (a box-car average of the input): speech
// correlates well in that band, a lag step of 0.25 ms is finer than the
// filter needs, and a search of all 400 ms of lags over a half-second window
// costs about 3 million multiply-adds, and later searches near the known
// delay a fifth of that: about 1 ms of CPU per second of agent speech.
const (
	estRate = 4000
	// estWindow is how much audio each estimate correlates.
	estWindow = 500 * time.Millisecond
	// estEvery is how much audible far-end audio passes between
	// estimates: two that agree measure the delay, so the first
	// measurement comes about half a second into the agent's speech.
	estEvery = 250 * time.Millisecond
	// minCorrelation is the normalised correlation an estimate needs to
	// count: the echo alone reaches 0.9 or more, speech over it less,
	// and no echo (a headset) stays near 0.
	minCorrelation = 0.5
	// agreeWithin is how close two estimates in a row must be for the
	// delay to be taken as measured.
	agreeWithin = time.Millisecond
	// farAudible is the level (full scale 1) above which the far end
	// counts as playing something: about -50 dBFS.
	farAudible = 0.003
)

// delayEstimator keeps the recent near and far signals at estRate and
// measures the lag of near behind far.
type delayEstimator struct {
	decim  int // input samples per estimator sample
	maxLag int // estimator samples
	window int // estimator samples

	// The last window+maxLag samples of each signal.
	near, far history
	// Box-car accumulators for the sample being decimated.
	nearAcc, farAcc float64
	accN            int

	sinceEstimate int // audible far samples (estimator rate) since the last estimate
	sinceAudible  int // far samples since the far end was last audible
	candidate     int // the last confident lag, -1 for none
	measured      int // the lag two estimates agreed on, -1 for none
}

func newDelayEstimator(sampleRate int, maxDelay time.Duration) *delayEstimator {
	e := &delayEstimator{
		decim:     sampleRate / estRate,
		maxLag:    int(maxDelay.Seconds() * estRate),
		window:    int(estWindow.Seconds() * estRate),
		candidate: -1,
		measured:  -1,
		// The far end has not played yet.
		sinceAudible: math.MaxInt / 2,
	}
	n := e.window + e.maxLag
	e.near, e.far = newHistory(n), newHistory(n)
	return e
}

// push adds near and far samples (the same number, taken at the same
// time) and returns true when it has measured a new delay (see delay).
func (e *delayEstimator) push(near, far []int16) bool {
	changed := false
	for i := range near {
		e.nearAcc += float64(near[i])
		e.farAcc += float64(far[i])
		e.accN++
		if e.accN < e.decim {
			continue
		}
		n, f := e.nearAcc/float64(e.decim)/32768, e.farAcc/float64(e.decim)/32768
		e.nearAcc, e.farAcc, e.accN = 0, 0, 0
		e.near.push(n)
		e.far.push(f)
		if math.Abs(f) > farAudible {
			e.sinceEstimate++
			e.sinceAudible = 0
		} else {
			e.sinceAudible++
		}
		if e.sinceEstimate >= int(estEvery.Seconds()*estRate) && e.far.full() {
			e.sinceEstimate = 0
			if e.estimate() {
				changed = true
			}
		}
	}
	return changed
}

// history keeps the last n samples of a signal. Pushing is amortised
// O(1): the buffer holds up to 2n samples and moves the last n to its
// front only when it is full, rather than shifting n samples for every
// new one (4000 times a second, for each signal).
type history struct {
	n   int
	buf []float64
}

func newHistory(n int) history { return history{n: n, buf: make([]float64, 0, 2*n)} }

func (h *history) push(v float64) {
	if len(h.buf) == cap(h.buf) {
		h.buf = h.buf[:copy(h.buf, h.buf[len(h.buf)-h.n+1:])]
	}
	h.buf = append(h.buf, v)
}

// full reports whether n samples have been pushed.
func (h *history) full() bool { return len(h.buf) >= h.n }

// last returns the last n samples (all of them before full), oldest first.
func (h *history) last() []float64 { return h.buf[max(0, len(h.buf)-h.n):] }

// estimate correlates the last window of near with far at every lag and
// updates the measured delay when two confident estimates in a row agree.
func (e *delayEstimator) estimate() bool {
	lag, r := e.bestLag()
	if r < minCorrelation {
		e.candidate = -1
		return false
	}
	agree := int(agreeWithin.Seconds() * estRate)
	prev := e.candidate
	e.candidate = lag
	if prev < 0 || abs(lag-prev) > agree {
		return false
	}
	if e.measured >= 0 && abs(lag-e.measured) <= agree {
		return false
	}
	e.measured = lag
	return true
}

// localSearch is how far around the measured delay bestLag looks first:
// once the delay is known, most estimates find it again there, at a tenth
// of the cost of searching every lag.
const localSearch = 40 * time.Millisecond

// bestLag returns the lag (estimator samples) at which the last window of
// near correlates best with far, and that normalised correlation.
func (e *delayEstimator) bestLag() (int, float64) {
	if e.measured >= 0 {
		w := int(localSearch.Seconds() * estRate)
		if lag, r := e.search(max(0, e.measured-w), min(e.maxLag, e.measured+w)); r >= minCorrelation {
			return lag, r
		}
	}
	return e.search(0, e.maxLag)
}

// search returns the best lag in [from, to] and its correlation.
func (e *delayEstimator) search(from, to int) (int, float64) {
	return correlate(e.near.last(), e.far.last(), e.window, from, to)
}

// moveTo takes lag as measured: the leak guard found the echo there,
// strong and beyond doubt, before two estimates could agree on it.
func (e *delayEstimator) moveTo(lag int) { e.measured, e.candidate = lag, lag }

// delay returns the measured delay, or false before there is one.
func (e *delayEstimator) delay() (time.Duration, bool) {
	if e.measured < 0 {
		return 0, false
	}
	return time.Duration(e.measured) * time.Second / estRate, true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
