package call

import (
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// speechDBFS is the level above which received audio counts as speech.
// Opus comfort noise and decoder fade-outs sit far below it.
const speechDBFS = -50

// activity watches the agent's audio: when it started talking, when it
// last talked, how much arrived. It is an audio.Sink on the receive path,
// read by the call loop.
type activity struct {
	now func() time.Time

	mu         sync.Mutex
	samples    int64
	first      time.Time
	last       time.Time
	onsets     []time.Time // starts of speech after a pause, bounded
	pauseAfter time.Duration
}

func newActivity(now func() time.Time, pause time.Duration) *activity {
	return &activity{now: now, pauseAfter: pause}
}

func (a *activity) Write(s []int16) error {
	speech := audio.DBFS(audio.RMS(s)) > speechDBFS
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.samples += int64(len(s))
	if !speech {
		return nil
	}
	if a.first.IsZero() {
		a.first = now
	}
	if a.last.IsZero() || now.Sub(a.last) >= a.pauseAfter {
		if len(a.onsets) == 64 {
			a.onsets = append(a.onsets[:0], a.onsets[32:]...)
		}
		a.onsets = append(a.onsets, now)
	}
	a.last = now
	return nil
}

func (a *activity) Close() error { return nil }

// Samples is how many samples arrived.
func (a *activity) Samples() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.samples
}

// LastSpeech is when speech last arrived (zero if never).
func (a *activity) LastSpeech() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// FirstSpeech is when speech first arrived (zero if never).
func (a *activity) FirstSpeech() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.first
}

// OnsetAfter is the first start of speech at or after t (zero if none).
func (a *activity) OnsetAfter(t time.Time) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, o := range a.onsets {
		if !o.Before(t) {
			return o
		}
	}
	return time.Time{}
}
