//go:build !noportaudio

package device

import (
	"slices"
	"testing"
)

func period(v int16, n int) []int16 {
	p := make([]int16, n)
	for i := range p {
		p[i] = v
	}
	return p
}

// The k-th captured sample is paired with the k-th played one, however
// the writes and reads interleave: bursts of writes, reads in a row.
func TestReferencePairsByCountWhateverTheOrder(t *testing.T) {
	const n = 480
	r := newReference(48000)
	got := make([]int16, n)

	r.add(period(9, n)) // before the first capture: only fills the speaker's buffer
	r.take(got)
	if !slices.Equal(got, period(0, n)) {
		t.Fatalf("first capture paired with %v..., want silence: what was written before it is not counted", got[:3])
	}
	// A burst of two writes, then two reads.
	r.add(period(1, n))
	r.add(period(2, n))
	r.take(got)
	if got[0] != 1 || got[n-1] != 1 {
		t.Errorf("second capture paired with %d, want the first period played after pairing began (1)", got[0])
	}
	r.take(got)
	if got[0] != 2 {
		t.Errorf("third capture paired with %d, want 2", got[0])
	}
	// A read with nothing written since: the speaker was held up.
	r.take(got)
	if !slices.Equal(got, period(0, n)) {
		t.Errorf("capture with nothing played meanwhile paired with %v..., want silence", got[:3])
	}
}

// An underrun or an overflow starts the pairing again from the next
// capture, forgetting what was queued.
func TestReferenceResyncStartsOver(t *testing.T) {
	const n = 480
	r := newReference(48000)
	got := make([]int16, n)
	r.take(got)
	r.add(period(1, n))
	r.add(period(2, n))
	r.resync()
	r.add(period(3, n)) // after the resync, before the next capture: not counted
	r.take(got)
	if !slices.Equal(got, period(0, n)) {
		t.Fatalf("after a resync the first capture was paired with %d, want silence", got[0])
	}
	r.add(period(4, n))
	r.take(got)
	if got[0] != 4 {
		t.Errorf("after a resync, the next capture paired with %d, want 4", got[0])
	}
	if r.resyncs != 1 {
		t.Errorf("resyncs = %d", r.resyncs)
	}
}

// A microphone held up while the speaker plays on keeps only the newest
// maxRef of played audio.
func TestReferenceIsBounded(t *testing.T) {
	const n = 480
	r := newReference(48000)
	got := make([]int16, n)
	r.take(got)
	for i := range 100 { // 1 s of speaker, no capture
		r.add(period(int16(i), n))
	}
	if len(r.samples) != r.limit {
		t.Fatalf("%d samples queued, want the bound %d", len(r.samples), r.limit)
	}
	r.take(got)
	if want := int16(100 - r.limit/n); got[0] != want {
		t.Errorf("oldest kept period is %d, want %d", got[0], want)
	}
}
