// Package fakeclock is an audio.Clock that stands still until the test
// moves it, so that code whose behaviour depends on time (pacing, the end
// of a reply, timeouts, countdowns) runs in tests as fast as the machine
// allows and the same way every time.
//
//	clk := fakeclock.New(t, time.Unix(1_000_000, 0))
//	... start the code under test with clk ...
//	clk.WaitTimers(2) // its goroutines are waiting on the clock
//	clk.Advance(10 * time.Millisecond)
//
// Advance fires the timers that fall due one at a time, in order, with the
// clock standing at each one's deadline, and hands each tick over like a
// real timer's unbuffered channel does: Advance returns only once every
// tick it fired has been received (or the timer was stopped or reset
// instead). What the receiver then does runs on its own goroutine, and
// Advance does not wait for it: a timer set again in reaction to a tick
// (a ticker made of a timer) fires in a later Advance, not in this one. So
// tests move time in steps no longer than the shortest period involved,
// and wait for the code's reaction (an event, a frame) where it matters.
//
// The package starts no goroutines.
package fakeclock

import (
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// AckTimeout bounds, in real time, how long Advance waits for a fired
// timer's tick to be received, and WaitTimers for timers to be set. Either
// running out is a bug the test reports: a goroutine that stopped waiting
// without stopping its timer, or a test that moves a clock nobody watches.
const AckTimeout = 5 * time.Second

// Clock is the fake clock. Its methods may be called from any goroutine,
// but Advance and WaitTimers fail the test, so they belong to the test's
// own goroutine.
type Clock struct {
	t testing.TB

	mu      sync.Mutex
	now     time.Time
	seq     uint64          // creation order, to break ties between deadlines
	armed   map[*timer]bool // timers waiting for their deadline
	changed chan struct{}   // closed and replaced when a timer is armed
}

var _ audio.Clock = (*Clock)(nil)

// New returns a clock standing at start.
func New(t testing.TB, start time.Time) *Clock {
	return &Clock{t: t, now: start, armed: map[*timer]bool{}, changed: make(chan struct{})}
}

// Now is the clock's time: start plus everything Advance added.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the clock reaches Now()+d. A
// timer set for d <= 0 fires at the next Advance, even Advance(0).
func (c *Clock) NewTimer(d time.Duration) audio.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &timer{c: c, seq: c.seq, ch: make(chan time.Time), cancel: make(chan struct{})}
	c.armLocked(t, d)
	return t
}

func (c *Clock) armLocked(t *timer, d time.Duration) {
	t.when = c.now.Add(max(d, 0))
	c.armed[t] = true
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock forward by d, firing every timer that falls due
// on the way, earliest first. It returns once each tick it fired was
// received, or its timer stopped or reset; timers set while it runs fire
// in it only if they are set before it moves past their deadline.
func (c *Clock) Advance(d time.Duration) {
	c.t.Helper()
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		t := c.nextDueLocked(target)
		if t == nil {
			c.now = target
			c.mu.Unlock()
			return
		}
		if t.when.After(c.now) {
			c.now = t.when
		}
		delete(c.armed, t)
		at, cancel := c.now, t.cancel
		c.mu.Unlock()

		select {
		case t.ch <- at:
		case <-cancel:
			// Stopped or reset before it took the tick: as with a real
			// timer, the stale tick is never received.
		case <-time.After(AckTimeout):
			c.t.Fatalf("fakeclock: a timer fired at %s and nobody received its tick within %s of real time", at.Format("15:04:05.000"), AckTimeout)
		}
	}
}

// nextDueLocked is the armed timer with the earliest deadline at or before
// target, nil if there is none.
func (c *Clock) nextDueLocked(target time.Time) *timer {
	var next *timer
	for t := range c.armed {
		if t.when.After(target) {
			continue
		}
		if next == nil || t.when.Before(next.when) || (t.when.Equal(next.when) && t.seq < next.seq) {
			next = t
		}
	}
	return next
}

// WaitTimers waits until at least n timers are set: the goroutines under
// test have reached the point where they wait on the clock, so the first
// Advance finds them waiting and every deadline counts from the start.
// After an Advance, it tells that the receivers of its ticks have set
// their timers again, that is, have done what the tick asked of them.
func (c *Clock) WaitTimers(n int) {
	c.t.Helper()
	c.WaitTimersOr(n, nil)
}

// WaitTimersOr is WaitTimers that gives up, returning false, once done is
// closed: when the code under test may stop using the clock (it ended)
// and the timers it set will never be set again.
func (c *Clock) WaitTimersOr(n int, done <-chan struct{}) bool {
	c.t.Helper()
	deadline := time.After(AckTimeout)
	for {
		c.mu.Lock()
		armed, changed := len(c.armed), c.changed
		c.mu.Unlock()
		if armed >= n {
			return true
		}
		select {
		case <-changed:
		case <-done:
			return false
		case <-deadline:
			c.t.Fatalf("fakeclock: %d timer(s) set after %s of real time, want %d", armed, AckTimeout, n)
		}
	}
}

// timer is the audio.Timer NewTimer returns.
type timer struct {
	c    *Clock
	seq  uint64
	ch   chan time.Time // unbuffered, like time.Timer's since Go 1.23
	when time.Time
	// cancel is closed by Stop and Reset to abandon a tick being handed
	// over by Advance.
	cancel chan struct{}
}

func (t *timer) C() <-chan time.Time { return t.ch }

// Reset sets the timer to fire after d from now; a tick of the earlier
// setting that was not received yet never will be.
func (t *timer) Reset(d time.Duration) {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.abandonLocked()
	t.c.armLocked(t, d)
}

// Stop keeps the timer from firing; a tick being handed over is abandoned.
func (t *timer) Stop() {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.abandonLocked()
	delete(t.c.armed, t)
}

func (t *timer) abandonLocked() {
	close(t.cancel)
	t.cancel = make(chan struct{})
}
