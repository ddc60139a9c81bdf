//go:build !noportaudio

package device

import "time"

// The echo canceller's reference: what the speaker played, paired with
// what the microphone captured at the same time. A full-duplex callback
// gets that pairing for free (each call carries the block captured and
// the block to play). The stream's goroutine reads and writes apart
// (stream.go), so the played samples queue here in the order they were
// written, and each captured period takes as many from the front: the
// k-th sample captured is paired with the k-th sample played since
// pairing began. Both directions of a shared stream run on one clock, so
// the pairing keeps a steady offset, an echo delay the canceller measures
// (aec.Stream), whatever order the reads and writes come in.
//
// Pairing starts with the first period captured: the periods written
// before it only fill the speaker's buffer, and counting them would put
// every later reference that far ahead of its echo. It starts again after
// an underrun or an overflow (PortAudio reports both), because each
// breaks the count: the speaker played silence that was never queued, or
// the microphone dropped audio that was never captured.
//
// Positions measured from the clock and PortAudio's buffer levels were
// tried instead and are worse: on PulseAudio they drift by 15 ms within
// seconds against each other (the ALSA plugin interpolates what it
// reports), and every drift is a jump for the canceller.

// maxRef bounds the played samples waiting to be paired: a queue that
// long only builds up while the microphone is held up, and audio older
// than the canceller can use is of no use.
const maxRef = 200 * time.Millisecond

// reference holds the played samples not yet paired.
type reference struct {
	samples []int16
	limit   int
	pairing bool // since the first capture, or the first after a resync
	resyncs int
}

func newReference(rate int) *reference {
	return &reference{limit: int(maxRef.Seconds() * float64(rate))}
}

// add keeps the mono period the speaker was given.
func (r *reference) add(played []int16) {
	if !r.pairing {
		return
	}
	r.samples = append(r.samples, played...)
	if over := len(r.samples) - r.limit; over > 0 {
		r.samples = r.samples[:copy(r.samples, r.samples[over:])]
	}
}

// take fills ref with the played samples paired with the captured period
// (silence where the speaker has played fewer: it was held up).
func (r *reference) take(ref []int16) {
	r.pairing = true
	clear(ref)
	n := copy(ref, r.samples)
	r.samples = r.samples[:copy(r.samples, r.samples[n:])]
}

// resync forgets the queue: the next captured period starts the pairing
// again.
func (r *reference) resync() {
	r.samples = r.samples[:0]
	r.pairing = false
	r.resyncs++
}
