package sdnotify

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/sdnotify/sdnotifytest"
)

// WatchdogDue pings on the first wake-up, on every tick even when the
// ticks jitter, and not on wake-ups that come in between.
func TestWatchdogDue(t *testing.T) {
	defer leaktest.Check(t)()
	n, err := New(env{EnvSocket: "@x", EnvWatchdogUsec: "30000000"}.get, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	for _, c := range []struct {
		now  time.Time
		want bool
	}{
		{at(0), true},                      // the first wake-up
		{at(time.Second), false},           // an event soon after
		{at(7 * time.Second), false},       // still under a quarter of 30s
		{at(15*time.Second + 40e6), true},  // a late tick
		{at(30 * time.Second), true},       // the next tick, 40 ms "early"
		{at(37 * time.Second), false},      // an event: under 7.5 s since
		{at(37*time.Second + 5e8), true},   // an event 7.5 s after: pings
		{at(45 * time.Second), true},       // the tick
		{at(20 * time.Second), true},       // the wall clock was set back
		{at(20*time.Second + 1e9), false},  // and goes on from there
		{at(20*time.Second + 75e8), true},  // a quarter of the timeout later
		{at(20*time.Second + 76e8), false}, // only once
	} {
		if got := n.WatchdogDue(c.now); got != c.want {
			t.Errorf("at %v: due %v, want %v", c.now.Sub(t0), got, c.want)
		}
	}
}

// A main loop that wakes on a ticker of WatchdogInterval keeps pinging
// within the timeout, and once it is stuck the pings stop, which is what
// lets systemd restart a hung kiosk. The socket is real; only the
// timeout is short.
func TestLoopPingsUntilStuck(t *testing.T) {
	defer leaktest.Check(t)()
	l := sdnotifytest.Listen(t, sdnotifytest.TempPath(t))
	addr := l.Addr()
	const timeout = time.Second // long enough for a loaded CI machine to wake within it
	n, err := New(env{
		EnvSocket:       addr,
		EnvWatchdogUsec: fmt.Sprint(timeout.Microseconds()),
		EnvWatchdogPID:  fmt.Sprint(os.Getpid()),
	}.get, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	every, ok := n.WatchdogInterval()
	if !ok || every != timeout/2 {
		t.Fatalf("interval %v %v", every, ok)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stuck := make(chan struct{})
	events := make(chan struct{})
	done := make(chan error, 1)
	go func() { // the kiosk's loop, as the package comment shows it
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		wake := func(now time.Time) error {
			if n.WatchdogDue(now) {
				return n.Watchdog()
			}
			return nil
		}
		err := wake(time.Now())
		for err == nil {
			select {
			case <-ctx.Done():
				done <- nil
				return
			case <-stuck:
				<-ctx.Done() // a loop that hangs: it reads nothing more
				done <- nil
				return
			case <-events:
				err = wake(time.Now())
			case now := <-ticker.C:
				err = wake(now)
			}
		}
		done <- err
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("loop: %v", err)
		}
	}()

	// Pings for a little over five ticks, with events in between.
	start := time.Now()
	last := start
	pings := 0
	for time.Since(start) < 5*every+every/2 {
		select {
		case events <- struct{}{}:
		default:
		}
		m, err := l.Next(timeout)
		if err != nil {
			t.Fatalf("no ping within the %v timeout after %d pings: systemd would restart the kiosk", timeout, pings)
		}
		if m.Text != "WATCHDOG=1" {
			t.Fatalf("datagram %q", m.Text)
		}
		if gap := time.Since(last); gap > timeout {
			t.Errorf("ping %d came %v after the last, over the %v timeout", pings, gap, timeout)
		}
		last = time.Now()
		pings++
	}
	// A tick every 500 ms for 2.75 s, plus the first and the event
	// wake-ups that came a quarter of the timeout after a ping.
	if pings < 6 {
		t.Errorf("%d pings in %v, want at least 6", pings, time.Since(start))
	}
	t.Logf("%d pings in %v", pings, time.Since(start))

	close(stuck)
	drained := time.Now().Add(every) // a ping may have been on its way
	for {
		_, err := l.Next(time.Until(drained) + timeout)
		if err != nil {
			break // no ping within a whole timeout: systemd's cue
		}
		if time.Now().After(drained) {
			t.Fatal("the stuck loop still pings")
		}
	}
}
