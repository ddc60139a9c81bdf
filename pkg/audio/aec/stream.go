package aec

import (
	"fmt"
	"time"
)

// StreamTail is the filter length a Stream uses. With the reference lined
// up with its echo (see the delay estimator), the filter only has to model
// the room, not the device buffers as well: 100 ms holds a laptop's or a
// kiosk's strong early reflections, and a short filter converges quickly
// and deeply. On the test loopback it cancels 20 dB more echo than a
// 200 ms tail a guessed 35 ms early.
const StreamTail = 100 * time.Millisecond

// The reference leads its echo by alignMargin after each alignment: the
// filter cannot model an echo that comes before its reference, and the
// margin leaves room for the delay to shrink a little. The echo may then
// wander to between minLead and maxLead behind the reference before the
// Stream moves the reference again: within that window the filter follows
// the echo by itself, and moving the reference would only make it start
// over.
const (
	alignMargin = 10 * time.Millisecond
	minLead     = 2 * time.Millisecond
	maxLead     = 25 * time.Millisecond
)

// jumpSize is the change in the measured delay that counts as a jump (see
// Jumps), as opposed to the slow drift between two devices' clocks.
const jumpSize = 5 * time.Millisecond

// MaxDelay is the longest echo delay a Stream measures: device buffers and
// the sound server, up to a Bluetooth speaker's.
const MaxDelay = 400 * time.Millisecond

// Stream cancels the echo in a continuous microphone signal, given what
// the speaker played at the same time. It delays the far end so that each
// far sample reaches the canceller just before its echo does, and keeps
// measuring that delay, which moves during a call.
//
// A Stream is not safe for concurrent use.
type Stream struct {
	c     *Canceller
	est   *delayEstimator
	guard *leakGuard // silences the echo the filter lets through (leak.go)
	rate  int
	delay int // samples the far end is delayed by
	// measured: the delay has been measured at least once.
	measured bool
	echo     int // the echo delay last measured, in samples
	jumps    int
	// Near and far samples waiting for a whole block; farQ also holds
	// the delay (len(farQ) == len(nearQ) + delay).
	nearQ, farQ []int16
}

// NewStream returns a Stream for mono PCM16 at sampleRate (a multiple of
// 4000 Hz), with the far end first delayed by guess (the devices' reported
// latency, say) until the delay has been measured.
func NewStream(sampleRate int, guess time.Duration) (*Stream, error) {
	if sampleRate%estRate != 0 {
		return nil, fmt.Errorf("echo canceller: sample rate %d Hz is not a multiple of %d", sampleRate, estRate)
	}
	c, err := New(sampleRate, StreamTail)
	if err != nil {
		return nil, err
	}
	s := &Stream{c: c, est: newDelayEstimator(sampleRate, MaxDelay), rate: sampleRate}
	s.guard = newLeakGuard(s.est)
	s.delay = s.samples(min(max(guess, 0), MaxDelay))
	s.farQ = make([]int16, s.delay)
	return s, nil
}

func (s *Stream) samples(d time.Duration) int { return int(d.Seconds() * float64(s.rate)) }

// Process appends to out the near-end signal with the echo of far removed,
// and returns it. near and far have the same length: what the microphone
// captured and what the speaker played in the same interval. The output
// comes in whole blocks, so it may be shorter or longer than near.
func (s *Stream) Process(out, near, far []int16) ([]int16, error) {
	if len(near) != len(far) {
		return out, fmt.Errorf("echo canceller: %d near samples but %d far", len(near), len(far))
	}
	if s.est.push(near, far) {
		s.track()
	}
	s.nearQ = append(s.nearQ, near...)
	s.farQ = append(s.farQ, far...)
	bs := s.c.BlockSamples()
	n := len(s.nearQ) / bs * bs
	if n == 0 {
		return out, nil
	}
	start := len(out)
	out = append(out, make([]int16, n)...)
	if err := s.c.Process(s.nearQ[:n], s.farQ[:n], out[start:]); err != nil {
		return out[:start], err
	}
	if lag := s.guard.check(s.nearQ[:n], out[start:], s.covers); lag >= 0 {
		s.est.moveTo(lag)
		s.track()
	}
	s.nearQ = s.nearQ[:copy(s.nearQ, s.nearQ[n:])]
	s.farQ = s.farQ[:copy(s.farQ, s.farQ[n:])]
	return out, nil
}

// track takes in a newly measured echo delay: it counts jumps, and when
// the echo has left the window the filter covers, it moves the reference
// and restarts the filter, whose model of the echo path no longer fits.
func (s *Stream) track() {
	d, _ := s.est.delay()
	echo := s.samples(d)
	if !s.measured || abs(echo-s.echo) >= s.samples(jumpSize) {
		s.jumps++
	}
	s.measured, s.echo = true, echo
	if lead := echo - s.delay; lead >= s.samples(minLead) && lead <= s.samples(maxLead) {
		return
	}
	target := max(0, echo-s.samples(alignMargin))
	switch diff := target - s.delay; {
	case diff > 0:
		s.farQ = append(make([]int16, diff, diff+len(s.farQ)), s.farQ...)
	case diff < 0:
		s.farQ = s.farQ[:copy(s.farQ, s.farQ[-diff:])]
	}
	s.delay = target
	s.c.Reset()
	s.guard.fitted = false
}

// covers reports whether the filter, lined up as it is, can cancel an
// echo at lag (estimator samples): one that comes within the lead window
// after its reference.
func (s *Stream) covers(lag int) bool {
	lead := lag*s.est.decim - s.delay
	return lead >= s.samples(minLead) && lead <= s.samples(maxLead)
}

// Jumps counts how often the echo delay was first measured or jumped
// since the Stream began. After each, the filter has to learn the echo
// path again, and passes some echo meanwhile: callers that can mute the
// microphone while the speaker plays do so for a while after a jump.
func (s *Stream) Jumps() int { return s.jumps }

// Delay returns how far the far end is delayed now, and whether that was
// measured rather than guessed.
func (s *Stream) Delay() (time.Duration, bool) {
	return time.Duration(s.delay) * time.Second / time.Duration(s.rate), s.measured
}

// EchoDelay returns the echo delay last measured, or false before the far
// end has been heard in the microphone.
func (s *Stream) EchoDelay() (time.Duration, bool) { return s.est.delay() }

// Silenced returns how many stretches of output (one per Process call)
// were silenced because the filter let the echo through (leak.go).
func (s *Stream) Silenced() int { return s.guard.frames }

// Close frees the canceller. It is safe to call more than once.
func (s *Stream) Close() error { return s.c.Close() }
