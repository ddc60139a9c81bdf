package audio

import "time"

// Clock is where pacing, metering and the call read the time and set their
// timers, so that tests can drive it. SystemClock is the real one; tests
// use internal/fakeclock.
type Clock interface {
	Now() time.Time
	// NewTimer returns a running timer that fires once after d.
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer that pacing and the call use. A ticker
// is a Timer Reset after each tick.
type Timer interface {
	C() <-chan time.Time
	// Reset makes the timer fire once after d; a value from an earlier
	// setting is never received afterwards (Go 1.23 timer semantics).
	Reset(d time.Duration)
	Stop()
}

// SystemClock is the wall clock (with its monotonic reading).
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer {
	return systemTimer{time.NewTimer(d)}
}

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time   { return t.t.C }
func (t systemTimer) Reset(d time.Duration) { t.t.Reset(d) }
func (t systemTimer) Stop()                 { t.t.Stop() }
