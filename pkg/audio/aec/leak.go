package aec

import (
	"math"
	"time"
)

// The leak guard: the last line of defence when the filter cannot cancel
// the echo.
//
// The filter models one echo path. When the path moves (PulseAudio
// recovering from an underrun shifts the microphone against the speaker
// by a buffer, mid-reply or in the silence between two replies), the echo
// comes through nearly whole until the delay estimator has measured the
// new delay, which takes half a second or more of the agent's speech. On
// a loaded machine that was enough for an agent to hear its own words as
// the user's and answer them (the end-to-end echo test caught it on CI).
//
// The guard looks at each stretch of output the canceller gives out, and
// first asks whether the canceller took at least leakReduction off the
// microphone signal it came from, while the far end played in the last
// second. If it did, the canceller works and the guard does nothing more.
// An output louder than its input is echo: a filter that no longer fits
// adds a wrong copy of the far end instead of taking the echo out, which a
// filter that fits never does, whoever else speaks. Between the two,
// either the echo leaks or the user is speaking (their voice passes
// untouched), and two short correlations over the last leakWindow tell
// which:
//   - the microphone against the far end, near the measured delay: an
//     echo that dominates the microphone (leakStrong) at a lag outside
//     what the filter covers is a moved path. Such estimates in a
//     row (leakAgree), well above any lag the filter covers
//     (leakMargin), make the Stream move its reference at once, a fifth
//     of a second after the move instead of the estimator's near second;
//   - the output against the far end: an output that still sounds like
//     the far end (leakCorrelation) is echo.
//
// A stretch found to be echo is silenced: the agent hears a pause rather
// than its own voice. The user talking over the agent passes: their
// voice does not correlate with the far end, and the echo under it stays
// at the lag the filter covers. Nothing is silenced, and nothing
// correlated, while the canceller works.
const (
	// leakReduction: an output within 10 dB of its input was not
	// cancelled. A converged filter with the residual suppressor takes
	// 25 dB or more off an echo alone.
	leakReduction = 0.1
	// leakCorrelation: an echo the filter partly cancels still
	// correlates with the far end at 0.5 or more; the user's voice
	// stays below it (at 0.35 and lower it would silence some of the
	// user's words in the tests).
	leakCorrelation = 0.5
	// leakStrong: a microphone that correlates this well with the far
	// end is hearing the echo, not the user; the echo alone reaches 0.9.
	leakStrong = 0.8
	// leakMargin: the echo has moved only if it correlates this much
	// better at its new lag than anywhere the filter covers. Speech is
	// periodic, and a short window also correlates well a pitch period
	// (5 to 10 ms) away from the true lag; a moved echo leaves the lags
	// the filter covers far behind.
	leakMargin = 0.15
	// leakAgree is how many estimates in a row must find the echo at the
	// same new lag before the Stream moves its reference.
	leakAgree = 2
	// leakWindow is how much recent audio the correlations look at:
	// short, so that the guard acts within a few frames of the leak.
	leakWindow = 100 * time.Millisecond
	// leakQuiet is the RMS (about -60 dBFS) below which an output is
	// left alone whatever it holds: no agent hears speech in it.
	leakQuiet = 32
	// farRecent is how long after the far end last played the guard
	// stays on: its echo lasts the delay plus the room's tail.
	farRecent = time.Second
)

// leakGuard keeps the output's recent history at estRate, next to the
// delay estimator's, and decides whether a stretch of output is echo.
type leakGuard struct {
	est    *delayEstimator
	out    history
	acc    float64
	accN   int
	window int // estimator samples
	recent int // estimator samples
	moved  int // the lag a moved echo was last found at, -1 for none
	seen   int // estimates in a row that found it there
	// fitted: the filter has cancelled the echo since it was last
	// reset. Only a path the filter fitted can have moved: a filter
	// still learning lets the echo through anyway, and the estimator
	// lines it up.
	fitted bool
	// lagged is the microphone signal delayed by Latency, so that each
	// output sample is compared with the one it was made from.
	lagged []int16
	// frames counts the stretches silenced.
	frames int
	// off disables the guard (the tests compare with and without it).
	off bool
}

func newLeakGuard(est *delayEstimator) *leakGuard {
	w := int(leakWindow.Seconds() * estRate)
	return &leakGuard{est: est, out: newHistory(w), window: w, recent: int(farRecent.Seconds() * estRate), moved: -1,
		lagged: make([]int16, int(Latency.Seconds()*float64(est.decim*estRate)))}
}

// check takes a stretch of output and the microphone signal it was made
// from, and silences the output if it is echo the filter let through.
// covered says whether the filter, as it is lined up now, covers an echo
// at an estimator lag. check returns the lag the echo has moved to, for
// the Stream to line the reference up with, or -1.
func (g *leakGuard) check(near, out []int16, covered func(lag int) bool) int {
	defer g.delayNear(near)
	for _, v := range out {
		g.acc += float64(v)
		if g.accN++; g.accN == g.est.decim {
			g.out.push(g.acc / float64(g.est.decim) / 32768)
			g.acc, g.accN = 0, 0
		}
	}
	// Before the delay is measured the microphone is muted while the
	// speaker plays (see Jumps), and a search of every lag for every
	// stretch would cost more than the canceller.
	if g.off || g.est.measured < 0 || !g.out.full() || g.est.sinceAudible > g.recent {
		g.moved = -1
		return -1
	}
	in, outE := g.inputEnergy(near), energy16(out)
	quiet := leakQuiet * leakQuiet * float64(len(out))
	if outE < leakReduction*in || outE < quiet {
		if in >= quiet {
			g.fitted = true
		}
		g.moved = -1
		return -1 // cancelled, or too quiet to matter
	}
	w := int(localSearch.Seconds() * estRate)
	from, to := max(0, g.est.measured-w), min(g.est.maxLag, g.est.measured+w)
	moved := -1
	lag, r := correlate(g.est.near.last(), g.est.far.last(), g.window, from, to)
	if g.fitted && r >= leakStrong && !covered(lag) && r-g.coveredCorrelation(covered, from, to) >= leakMargin {
		if g.moved >= 0 && abs(lag-g.moved) <= int(agreeWithin.Seconds()*estRate) {
			if g.seen++; g.seen >= leakAgree {
				moved, g.seen = lag, 0
			}
		} else {
			g.seen = 1
		}
		g.moved = lag
	} else {
		g.moved = -1
		// The output comes Latency after its input, and may hold the
		// echo of any lag near the delay.
		if outE <= in {
			if _, r = correlate(g.out.last(), g.est.far.last(), g.window, from, to); r < leakCorrelation {
				return -1
			}
		}
	}
	clear(out)
	g.frames++
	return moved
}

// inputEnergy is the energy of the microphone signal the output of near's
// length was made from: the end of the last stretch and most of this one.
func (g *leakGuard) inputEnergy(near []int16) float64 {
	k := min(len(g.lagged), len(near))
	return energy16(g.lagged[len(g.lagged)-k:]) + energy16(near[:len(near)-k])
}

// delayNear keeps the end of near for the next stretch's inputEnergy.
func (g *leakGuard) delayNear(near []int16) {
	if len(near) >= len(g.lagged) {
		copy(g.lagged, near[len(near)-len(g.lagged):])
		return
	}
	n := copy(g.lagged, g.lagged[len(near):])
	copy(g.lagged[n:], near)
}

// coveredCorrelation is the best correlation of the microphone with the
// far end at a lag the filter covers, within [from, to].
func (g *leakGuard) coveredCorrelation(covered func(int) bool, from, to int) float64 {
	lo, hi := to+1, from-1
	for lag := from; lag <= to; lag++ {
		if covered(lag) {
			lo, hi = min(lo, lag), max(hi, lag)
		}
	}
	if lo > hi {
		return 0
	}
	_, r := correlate(g.est.near.last(), g.est.far.last(), g.window, lo, hi)
	return r
}

func energy16(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	return e
}

// correlate returns the lag in [from, to] at which the last window samples
// of near correlate best with far (far[len(far)-window-lag:][:window]),
// and that normalised correlation.
func correlate(near, far []float64, window, from, to int) (int, float64) {
	if len(near) < window || len(far) < window {
		return 0, 0
	}
	near = near[len(near)-window:]
	var nn float64
	for _, v := range near {
		nn += v * v
	}
	if nn == 0 {
		return 0, 0
	}
	start := len(far) - window
	seg := func(lag int) []float64 { return far[start-lag : start-lag+window] }
	to = min(to, start)
	if from > to {
		return 0, 0
	}
	var ff float64
	for _, v := range seg(from) {
		ff += v * v
	}
	best, bestR := 0, 0.0
	for lag := from; lag <= to; lag++ {
		if lag > from {
			// Slide the far energy by one sample.
			out, in := far[start-lag+window], far[start-lag]
			ff += in*in - out*out
		}
		if ff <= 0 {
			continue
		}
		f := seg(lag)
		var c float64
		for i, v := range near {
			c += v * f[i]
		}
		if r := c / math.Sqrt(nn*ff); r > bestR {
			best, bestR = lag, r
		}
	}
	return best, bestR
}
