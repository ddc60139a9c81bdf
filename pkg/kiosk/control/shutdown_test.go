package control

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/kiosk"
)

// A wedged kiosk (its Status does not return) fails /healthz within the
// health timeout; later probes fail at once instead of piling up
// goroutines behind the stuck one, and health comes back with the kiosk.
func TestHealthzSeesAWedgedKiosk(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	gate := make(chan struct{})
	f := &fakeKiosk{statusGate: gate}
	const timeout = 100 * time.Millisecond
	ts := serve(t, Options{Controller: f, HealthTimeout: timeout})

	start := time.Now()
	a := ts.do(t, "GET", "/healthz", "", nil)
	took := time.Since(start)
	if a.code != http.StatusServiceUnavailable {
		t.Fatalf("GET /healthz of a wedged kiosk: %d, want 503", a.code)
	}
	if took < timeout || took > 5*timeout {
		t.Errorf("the probe answered after %v, want about %v", took, timeout)
	}
	a.errorBody(t)
	start = time.Now()
	if a := ts.do(t, "GET", "/healthz", "", nil); a.code != http.StatusServiceUnavailable {
		t.Errorf("second probe: %d, want 503", a.code)
	}
	if took := time.Since(start); took > timeout/2 {
		t.Errorf("the second probe waited %v for a kiosk already known stuck", took)
	}
	f.mu.Lock()
	asked := f.statuses
	f.mu.Unlock()
	if asked != 1 {
		t.Errorf("Status asked %d times while stuck, want 1", asked)
	}
	close(gate)
	deadline := time.Now().Add(5 * time.Second)
	for ts.do(t, "GET", "/healthz", "", nil).code != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/healthz did not recover once Status answered")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A call still starting when Serve is told to stop gets the grace to
// finish, and its client the answer.
func TestShutdownLetsARequestFinish(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	gate := make(chan struct{})
	f := &fakeKiosk{startGate: gate}
	ts := serve(t, Options{Controller: f, Grace: 5 * time.Second})
	got := make(chan int, 1)
	go func() { got <- ts.post("/call") }()
	waitFor(t, func() bool { return f.startCount() == 1 })

	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop() }()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}
	close(gate)
	if code := <-got; code != http.StatusAccepted {
		t.Errorf("POST /call during shutdown: %d, want 202", code)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// A call that outlives the grace has its context cancelled: Serve
// returns within about the grace, and the kiosk was told to give up.
func TestShutdownCancelsAfterGrace(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	f := &fakeKiosk{startGate: make(chan struct{})} // never opens
	const grace = 200 * time.Millisecond
	ts := serve(t, Options{Controller: f, Grace: grace})
	got := make(chan int, 1)
	go func() { got <- ts.post("/call") }()
	waitFor(t, func() bool { return f.startCount() == 1 })
	start := time.Now()
	if err := ts.stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
	if took := time.Since(start); took < grace || took > 10*grace {
		t.Errorf("Serve returned %v after its context ended, want about the grace (%v)", took, grace)
	}
	// Cut (no answer) or told why: either way the kiosk let go.
	if code := <-got; code != 0 && code != http.StatusServiceUnavailable {
		t.Errorf("the cut request was answered %d", code)
	}
}

// A kiosk that does not return even when its request is cancelled makes
// Serve give up after a second grace and say so, rather than hang or
// pretend that everything ended.
func TestServeReportsAStuckKiosk(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	gate := make(chan struct{})
	f := &fakeKiosk{startGate: gate, deaf: true}
	const grace = 100 * time.Millisecond
	ts := serve(t, Options{Controller: f, Grace: grace})
	got := make(chan int, 1)
	go func() { got <- ts.post("/call") }()
	waitFor(t, func() bool { return f.startCount() == 1 })
	start := time.Now()
	ts.stoppedByTest = true
	err := ts.stop()
	took := time.Since(start)
	close(gate) // let the stuck handler end, for the leak check
	<-got
	if err == nil || !strings.Contains(err.Error(), "1 request(s) still running") {
		t.Errorf("Serve with a stuck request returned %v, want it named", err)
	}
	if took < 2*grace || took > 20*grace {
		t.Errorf("Serve gave up after %v, want about twice the grace (%v)", took, 2*grace)
	}
}

// POST /call that the kiosk does not answer within the call timeout gets
// 504, and the kiosk's wait is cancelled.
func TestCallTimeout(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	f := &fakeKiosk{startGate: make(chan struct{})}
	ts := serve(t, Options{Controller: f, CallTimeout: 100 * time.Millisecond})
	a := ts.do(t, "POST", "/call", "", nil)
	if a.code != http.StatusGatewayTimeout {
		t.Fatalf("POST /call to a kiosk that does not answer: %d %s, want 504", a.code, a.body)
	}
	if e := a.errorBody(t); e.Hint == "" {
		t.Errorf("504 without a hint: %s", a.body)
	}
}

// Once Serve is closing, a request that still reaches the handler is
// turned away rather than started.
func TestNothingStartsAfterShutdown(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	f := &fakeKiosk{status: kiosk.Status{State: kiosk.StateIdle}}
	s, err := New(Options{Controller: f})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.work.wait(time.Second); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/call", nil))
	if rec.Code != http.StatusServiceUnavailable || f.startCount() != 0 {
		t.Errorf("after shutdown: %d, %d calls started; want 503 and none", rec.Code, f.startCount())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
