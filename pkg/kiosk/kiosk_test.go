package kiosk

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// quick is a backoff for tests: the same logic, in milliseconds.
var quick = Backoff{First: 20 * time.Millisecond, Max: 80 * time.Millisecond, Busy: 200 * time.Millisecond, Attempts: 3}

func TestBackoffDoublesUpToItsCapAndWaitsOutABusyProvider(t *testing.T) {
	b := quick.withDefaults()
	var got []time.Duration
	for n := 1; n <= 5; n++ {
		got = append(got, b.delay(n, errDown))
	}
	want := []time.Duration{20, 40, 80, 80, 80}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays %v, want %v ms", got, want)
		}
	}
	busy := failure.New(failure.Busy, "too many concurrent calls (429)")
	if d := b.delay(1, busy); d != b.Busy {
		t.Errorf("after a 429 the kiosk waits %s, want the busy wait %s", d, b.Busy)
	}
	if d := (Backoff{}).withDefaults(); d != DefaultBackoff {
		t.Errorf("zero backoff = %+v, want the defaults", d)
	}
}

// The kiosk is ready once its devices opened, says so to systemd once,
// and pings the watchdog from its loop; stopping says STOPPING=1.
func TestReadyOnceTheDevicesOpen(t *testing.T) {
	n := &fakeNotifier{}
	devs := &fakeDevices{}
	k := runKiosk(t, Options{Credentials: &failingSource{err: errDown}, Devices: devs, Notify: n, Watchdog: 20 * time.Millisecond})
	waitStatus(t, k, "idle", 10*time.Second, inState(StateIdle))
	if err := k.Ready(); err != nil {
		t.Errorf("Ready: %v", err)
	}
	waitStatus(t, k, "watchdog pings", 10*time.Second, func(Status) bool { return n.count("WATCHDOG=1") >= 3 })
	if c := n.count("READY=1"); c != 1 {
		t.Errorf("READY=1 sent %d times, want once", c)
	}
	if devs.checks.Load() == 0 {
		t.Error("the devices were never checked")
	}
	if got := testutil.ToFloat64(k.Metrics().state.WithLabelValues(string(StateIdle))); got != 1 {
		t.Errorf("state metric for idle = %v, want 1", got)
	}
}

// Missing devices: the kiosk waits for them, is not ready, takes no call
// and opens nothing; once they are back it is idle and ready. Losing them
// again and getting them back counts a device restart.
func TestWaitsForItsDevices(t *testing.T) {
	n := &fakeNotifier{}
	devs := &fakeDevices{}
	devs.missing.Store(true)
	k := runKiosk(t, Options{Credentials: &failingSource{err: errDown}, Devices: devs, Notify: n,
		DeviceRetry: 20 * time.Millisecond, DeviceCheck: 20 * time.Millisecond})
	s := waitStatus(t, k, "waiting for devices", 10*time.Second, inState(StateWaitingForDevices))
	if s.Ready || !strings.Contains(s.NotReady, "unplugged") || s.Devices == nil || s.Devices.Missing == "" {
		t.Errorf("status while the devices are missing: %+v", s)
	}
	if _, err := k.StartCall(context.Background(), TriggerAPI); !isErr(err, ErrNotReady) {
		t.Errorf("StartCall without devices: %v, want ErrNotReady", err)
	}
	if err := k.Ready(); !isErr(err, ErrNotReady) {
		t.Errorf("Ready without devices: %v", err)
	}
	if n.count("EXTEND_TIMEOUT_USEC=30000000") == 0 {
		t.Errorf("no more time to start asked for while waiting for the devices: %q", n.msgs)
	}
	if devs.opens.Load() != 0 || n.count("READY=1") != 0 {
		t.Errorf("opened %d times, READY sent %d times, without devices", devs.opens.Load(), n.count("READY=1"))
	}
	devs.missing.Store(false)
	waitStatus(t, k, "idle", 10*time.Second, inState(StateIdle))
	if n.count("READY=1") != 1 {
		t.Errorf("READY=1 sent %d times once the devices came", n.count("READY=1"))
	}
	devs.missing.Store(true)
	waitStatus(t, k, "waiting for devices again", 10*time.Second, inState(StateWaitingForDevices))
	devs.missing.Store(false)
	waitStatus(t, k, "idle again", 10*time.Second, inState(StateIdle))
	if got := testutil.ToFloat64(k.Metrics().deviceRestarts); got != 1 {
		t.Errorf("device restarts = %v, want 1", got)
	}
	if c := n.count("READY=1"); c != 1 {
		t.Errorf("READY=1 sent %d times, want once for the process", c)
	}
}

// A call that cannot start (the token endpoint is down) is tried again,
// each attempt later than the one before, and given up after its
// attempts: the kiosk is idle again, not dead, and every failure counted.
func TestFailedStartsAreRetriedThenGivenUp(t *testing.T) {
	src := &failingSource{err: errDown}
	k := runKiosk(t, Options{Credentials: src, Devices: &fakeDevices{}, Retry: quick})
	waitStatus(t, k, "idle", 10*time.Second, inState(StateIdle))
	start := time.Now()
	if _, err := k.StartCall(context.Background(), TriggerAPI); err != nil {
		t.Fatalf("StartCall: %v", err)
	}
	waitStatus(t, k, "retrying", 10*time.Second, inState(StateRetrying))
	s := waitStatus(t, k, "idle after the retries", 10*time.Second, func(s Status) bool {
		return s.State == StateIdle && src.calls.Load() == 4
	})
	// 20 + 40 + 80 ms of backoff at least: never a tight loop.
	if el := time.Since(start); el < 140*time.Millisecond {
		t.Errorf("4 attempts took %s, less than their backoff", el)
	}
	m := k.Metrics()
	for what, v := range map[string]float64{
		"started by api":   testutil.ToFloat64(m.callsStarted.WithLabelValues("api")),
		"started by retry": testutil.ToFloat64(m.callsStarted.WithLabelValues("retry")),
		"token failures":   testutil.ToFloat64(m.tokenFailures),
		"failed (connect)": testutil.ToFloat64(m.callsFailed.WithLabelValues("connect")),
		"ended (failed)":   testutil.ToFloat64(m.callsEnded.WithLabelValues(EndFailed)),
	} {
		want := map[string]float64{"started by api": 1, "started by retry": 3, "token failures": 4, "failed (connect)": 4, "ended (failed)": 4}[what]
		if v != want {
			t.Errorf("%s = %v, want %v", what, v, want)
		}
	}
	if s.LastError == nil || s.LastError.Kind != "connect" || !strings.Contains(s.LastError.Message, "503") {
		t.Errorf("last error %+v", s.LastError)
	}
	if err := k.Ready(); !isErr(err, ErrNotReady) || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("Ready after failed credentials: %v, want not ready because of them", err)
	}
	time.Sleep(200 * time.Millisecond)
	if c := src.calls.Load(); c != 4 {
		t.Errorf("credentials asked for %d times after giving up, want 4", c)
	}
}

// Always-on keeps trying however long the endpoint is down; a hang-up
// (the button) stops it.
func TestAlwaysOnRetriesUntilHungUp(t *testing.T) {
	src := &failingSource{err: errDown}
	k := runKiosk(t, Options{Credentials: src, Devices: &fakeDevices{}, Retry: quick, AlwaysOn: true})
	waitStatus(t, k, "more attempts than a triggered call gets", 10*time.Second, func(Status) bool { return src.calls.Load() > 6 })
	if st := k.Status().State; st != StateRetrying && st != StateCalling {
		t.Errorf("state %s while retrying", st)
	}
	if _, err := k.StartCall(context.Background(), TriggerAPI); err == nil {
		t.Error("a call was started on top of the retries")
	}
	if _, err := k.Toggle(context.Background(), TriggerSignal); err != nil {
		t.Fatalf("Toggle while retrying: %v", err)
	}
	waitStatus(t, k, "idle", 10*time.Second, inState(StateIdle))
	c := src.calls.Load()
	time.Sleep(300 * time.Millisecond)
	if after := src.calls.Load(); after != c {
		t.Errorf("%d more attempts after the hang-up", after-c)
	}
}

func TestHangupWithoutACall(t *testing.T) {
	k := runKiosk(t, Options{Credentials: &failingSource{err: errDown}, Devices: &fakeDevices{}})
	waitStatus(t, k, "idle", 10*time.Second, inState(StateIdle))
	if _, err := k.Hangup(context.Background()); !isErr(err, ErrNoCall) {
		t.Errorf("Hangup: %v, want ErrNoCall", err)
	}
}

// A stopped kiosk answers ErrStopping and never hangs its callers.
func TestAStoppedKioskRefuses(t *testing.T) {
	k, err := New(Options{Credentials: &failingSource{err: errDown}, Devices: &fakeDevices{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := k.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := k.StartCall(context.Background(), TriggerAPI); !isErr(err, ErrStopping) {
		t.Errorf("StartCall after Run: %v", err)
	}
	if st := k.Status().State; st != StateStopping {
		t.Errorf("state %s after Run", st)
	}
}

// While a retried call is on (its retry long due), the loop sleeps: a due
// retry, check or always-on start must not make it spin.
func TestTheLoopDoesNotSpinDuringACall(t *testing.T) {
	src := &failingSource{err: errDown}
	devs := &fakeDevices{slow: 300 * time.Millisecond}
	k := runKiosk(t, Options{Credentials: src, Devices: devs, Retry: Backoff{First: time.Millisecond, Max: time.Millisecond}, AlwaysOn: true, DeviceCheck: time.Millisecond})
	waitStatus(t, k, "a few attempts", 10*time.Second, func(Status) bool { return src.calls.Load() >= 3 })
	before, n := k.wakes.Load(), src.calls.Load()
	time.Sleep(time.Second)
	wakes, calls := k.wakes.Load()-before, src.calls.Load()-n
	// Each attempt takes a few turns (start, end, a check); a spinning
	// loop takes hundreds of thousands in a second.
	if wakes > 20*(calls+1) {
		t.Errorf("the loop turned %d times in 1s for %d attempts", wakes, calls)
	}
	t.Logf("%d turns for %d attempts in 1s", wakes, calls)
}
