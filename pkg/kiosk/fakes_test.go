package kiosk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/token"
)

// fakeDevices stand in for a microphone and a speaker: the microphone
// says what say holds (paced in real time, then silence for ever), the
// speaker counts what it is given. missing makes both fail to open, as
// unplugged devices do.
type fakeDevices struct {
	say     []int16
	missing atomic.Bool
	opens   atomic.Int64
	checks  atomic.Int64
	played  atomic.Int64
	open    atomic.Int64 // open now: never more than one
	maxOpen atomic.Int64
	slow    time.Duration // how long opening takes
}

var errUnplugged = failure.New(failure.Device, "the microphone is unplugged")

func (d *fakeDevices) Open(ctx context.Context, lost func(error)) (*CallAudio, error) {
	if d.missing.Load() {
		return nil, errUnplugged
	}
	if d.slow > 0 {
		time.Sleep(d.slow)
	}
	d.opens.Add(1)
	d.hold()
	src := audio.Paced(audio.Concat(audio.Silence(300*time.Millisecond), audio.NewClipReader(d.say), audio.Silence(0)))
	return &CallAudio{
		Input:       src,
		Output:      countingSink{n: &d.played},
		Description: "fake devices",
		Close:       func() error { d.open.Add(-1); return nil },
	}, nil
}

func (d *fakeDevices) hold() {
	n := d.open.Add(1)
	for {
		m := d.maxOpen.Load()
		if n <= m || d.maxOpen.CompareAndSwap(m, n) {
			return
		}
	}
}

func (d *fakeDevices) Check(ctx context.Context) error {
	d.checks.Add(1)
	if d.missing.Load() {
		return errUnplugged
	}
	d.hold()
	d.open.Add(-1)
	return nil
}

type countingSink struct{ n *atomic.Int64 }

func (s countingSink) Write(samples []int16) error { s.n.Add(int64(len(samples))); return nil }
func (s countingSink) Close() error                { return nil }

// failingSource hands out no credentials: as a token endpoint that is
// down does.
type failingSource struct {
	err   error
	calls atomic.Int64
}

func (f *failingSource) Fetch(context.Context) (token.Credentials, error) {
	f.calls.Add(1)
	return token.Credentials{}, f.err
}

// fakeNotifier records what the kiosk tells systemd.
type fakeNotifier struct {
	mu   sync.Mutex
	msgs []string
}

func (n *fakeNotifier) add(m string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.msgs = append(n.msgs, m)
	return nil
}
func (n *fakeNotifier) Ready() error          { return n.add("READY=1") }
func (n *fakeNotifier) Stopping() error       { return n.add("STOPPING=1") }
func (n *fakeNotifier) Watchdog() error       { return n.add("WATCHDOG=1") }
func (n *fakeNotifier) Status(s string) error { return n.add("STATUS=" + s) }
func (n *fakeNotifier) ExtendTimeout(d time.Duration) error {
	return n.add(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", d.Microseconds()))
}

func (n *fakeNotifier) count(m string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, x := range n.msgs {
		if x == m {
			c++
		}
	}
	return c
}

// runKiosk starts k.Run and stops it when the test ends, checking that
// it returned nil and left no goroutine behind.
func runKiosk(t *testing.T, o Options) *Kiosk {
	t.Helper()
	t.Cleanup(leaktest.Check(t))
	k, _ := runKioskStop(t, o)
	return k
}

// runKioskStop is runKiosk that also returns the function that stops the
// kiosk (as SIGTERM does) and waits for Run; the cleanup calls it too. It
// leaves the leak check to the caller, whose server and agent must be
// gone before it runs.
func runKioskStop(t *testing.T, o Options) (*Kiosk, func()) {
	t.Helper()
	k, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("Run did not return 30s after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return k, stop
}

// waitState waits until the kiosk's status satisfies ok.
func waitStatus(t *testing.T, k *Kiosk, what string, within time.Duration, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := k.Status()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s: status %+v", what, within, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func inState(st State) func(Status) bool { return func(s Status) bool { return s.State == st } }

var errDown = failure.New(failure.Connect, "the token endpoint answered 503")

func isErr(err, target error) bool { return errors.Is(err, target) }
