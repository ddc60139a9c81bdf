package fakeclock

import (
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

var t0 = time.Unix(1_000_000, 0)

func TestNowMovesOnlyWithAdvance(t *testing.T) {
	clk := New(t, t0)
	if !clk.Now().Equal(t0) {
		t.Fatalf("starts at %v, want %v", clk.Now(), t0)
	}
	clk.Advance(1500 * time.Millisecond)
	if got := clk.Now().Sub(t0); got != 1500*time.Millisecond {
		t.Fatalf("moved %v, want 1.5s", got)
	}
}

// A ticker made of a timer reset after each tick, as the call loop makes
// one: each tick is received at its deadline, with the clock standing
// there, before Advance returns.
func TestAdvanceHandsOverEachTickAtItsDeadline(t *testing.T) {
	defer leaktest.Check(t)()
	clk := New(t, t0)
	got := make(chan time.Duration)
	stop := make(chan struct{})
	done := make(chan struct{})
	tm := clk.NewTimer(50 * time.Millisecond)
	received := 0
	go func() {
		defer close(done)
		for {
			select {
			case at := <-tm.C():
				received++
				if now := clk.Now(); !now.Equal(at) {
					t.Errorf("tick for %v received with the clock at %v", at.Sub(t0), now.Sub(t0))
				}
				tm.Reset(50 * time.Millisecond)
				got <- at.Sub(t0)
			case <-stop:
				tm.Stop()
				return
			}
		}
	}()
	for i := 1; i <= 4; i++ {
		clk.Advance(50 * time.Millisecond)
		if d := <-got; d != time.Duration(i)*50*time.Millisecond {
			t.Fatalf("tick %d at %v, want %dms", i, d, i*50)
		}
	}
	close(stop)
	<-done
	if received != 4 {
		t.Fatalf("%d ticks, want 4", received)
	}
}

// Advance does not return while a tick it fired is still waiting for its
// receiver.
func TestAdvanceWaitsForTheTickToBeReceived(t *testing.T) {
	defer leaktest.Check(t)()
	clk := New(t, t0)
	tm := clk.NewTimer(10 * time.Millisecond)
	release := make(chan struct{})
	took := make(chan struct{})
	go func() {
		<-release
		<-tm.C()
		close(took)
	}()
	advanced := make(chan struct{})
	go func() {
		clk.Advance(time.Second)
		close(advanced)
	}()
	select {
	case <-advanced:
		t.Fatal("Advance returned before its tick was received")
	case <-time.After(20 * time.Millisecond):
		// A negative check can only give Advance a chance to be wrong.
	}
	close(release)
	<-took
	<-advanced
}

func TestTimersFireInDeadlineOrder(t *testing.T) {
	defer leaktest.Check(t)()
	clk := New(t, t0)
	late := clk.NewTimer(30 * time.Millisecond)
	early := clk.NewTimer(10 * time.Millisecond)
	order := make(chan string, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2 {
			select {
			case <-late.C():
				order <- "late"
			case <-early.C():
				order <- "early"
			}
		}
	}()
	clk.Advance(time.Second)
	<-done
	if a, b := <-order, <-order; a != "early" || b != "late" {
		t.Fatalf("fired %s then %s", a, b)
	}
}

func TestStoppedTimerNeverFires(t *testing.T) {
	clk := New(t, t0)
	tm := clk.NewTimer(10 * time.Millisecond)
	tm.Stop()
	// Nobody receives: Advance would wait for a receiver if it fired.
	clk.Advance(time.Second)
	select {
	case <-tm.C():
		t.Fatal("a stopped timer fired")
	default:
	}
}

func TestResetMovesTheDeadline(t *testing.T) {
	defer leaktest.Check(t)()
	clk := New(t, t0)
	tm := clk.NewTimer(10 * time.Millisecond)
	tm.Reset(100 * time.Millisecond)
	clk.Advance(50 * time.Millisecond) // the old deadline passes: nothing fires
	got := make(chan time.Time, 1)
	go func() { got <- <-tm.C() }()
	clk.Advance(50 * time.Millisecond)
	if at := <-got; at.Sub(t0) != 100*time.Millisecond {
		t.Fatalf("fired at %v, want 100ms", at.Sub(t0))
	}
}

func TestWaitTimersReturnsOnceTimersAreSet(t *testing.T) {
	defer leaktest.Check(t)()
	clk := New(t, t0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tm := clk.NewTimer(time.Second)
		<-tm.C()
	}()
	clk.WaitTimers(1)
	clk.Advance(time.Second)
	<-done
}

func TestWaitTimersOrGivesUpWhenDone(t *testing.T) {
	clk := New(t, t0)
	done := make(chan struct{})
	close(done)
	if clk.WaitTimersOr(1, done) {
		t.Fatal("reported a timer that nobody set")
	}
}
