package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/kiosk"
)

// Every route and status code, over real HTTP on loopback, without a
// token (the loopback default).
func TestRoutes(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	notReady := fmt.Errorf("%w: the microphone is missing", kiosk.ErrNotReady)
	tests := []struct {
		name         string
		setup        func(*fakeKiosk)
		method, path string
		body         []byte
		code         int
		allow        string // the Allow header of a 405
		in           string // text the answer must hold
		starts       int
		hangups      int
	}{
		{name: "call starts", method: "POST", path: "/call", code: http.StatusAccepted, in: `"id":"c1"`, starts: 1},
		{name: "call with a small body", method: "POST", path: "/call", body: []byte("{}"), code: http.StatusAccepted, starts: 1},
		{name: "call with a large body", method: "POST", path: "/call", body: make([]byte, maxBodyBytes+1), code: http.StatusRequestEntityTooLarge, in: "no request body"},
		{name: "call while busy", setup: func(f *fakeKiosk) { f.startErr = kiosk.ErrBusy }, method: "POST", path: "/call",
			code: http.StatusConflict, in: "already in progress", starts: 1},
		{name: "call when not ready", setup: func(f *fakeKiosk) { f.startErr = notReady }, method: "POST", path: "/call",
			code: http.StatusServiceUnavailable, in: "microphone is missing", starts: 1},
		{name: "call while stopping", setup: func(f *fakeKiosk) { f.startErr = fmt.Errorf("start: %w", kiosk.ErrStopping) }, method: "POST", path: "/call",
			code: http.StatusServiceUnavailable, in: "shutting down", starts: 1},
		{name: "call fails", setup: func(f *fakeKiosk) { f.startErr = errors.New("token endpoint answered 500") }, method: "POST", path: "/call",
			code: http.StatusInternalServerError, in: "start a call: token endpoint answered 500", starts: 1},
		{name: "call by GET", method: "GET", path: "/call", code: http.StatusMethodNotAllowed, allow: "POST"},
		{name: "hangup", method: "POST", path: "/hangup", code: http.StatusOK, in: `"reason":"hangup"`, hangups: 1},
		{name: "hangup without a call", setup: func(f *fakeKiosk) { f.hangupErr = kiosk.ErrNoCall }, method: "POST", path: "/hangup",
			code: http.StatusConflict, in: "POST /call", hangups: 1},
		{name: "hangup by DELETE", method: "DELETE", path: "/hangup", code: http.StatusMethodNotAllowed, allow: "POST"},
		{name: "healthz", method: "GET", path: "/healthz", code: http.StatusOK, in: "ok"},
		{name: "healthz by HEAD", method: "HEAD", path: "/healthz", code: http.StatusOK},
		{name: "healthz by POST", method: "POST", path: "/healthz", code: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
		{name: "readyz", method: "GET", path: "/readyz", code: http.StatusOK, in: "ok"},
		{name: "readyz not ready", setup: func(f *fakeKiosk) { f.readyErr = notReady }, method: "GET", path: "/readyz",
			code: http.StatusServiceUnavailable, in: "the microphone is missing"},
		{name: "status", method: "GET", path: "/status", code: http.StatusOK, in: `"state":"idle"`},
		{name: "status by POST", method: "POST", path: "/status", code: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
		{name: "metrics", method: "GET", path: "/metrics", code: http.StatusOK, in: "webcall_kiosk_test_calls_total 3"},
		{name: "unknown path", method: "GET", path: "/calls", code: http.StatusNotFound, in: "POST /call, POST /hangup"},
		{name: "a path under a route", method: "POST", path: "/call/1", code: http.StatusNotFound, in: "no such path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeKiosk{status: kiosk.Status{State: kiosk.StateIdle, Ready: true}}
			if tc.setup != nil {
				tc.setup(f)
			}
			ts := serve(t, Options{Controller: f, Gatherer: testRegistry(t, 3)})
			a := ts.do(t, tc.method, tc.path, "", tc.body)
			if a.code != tc.code {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, a.code, a.body, tc.code)
			}
			if !strings.Contains(a.body, tc.in) {
				t.Errorf("%s %s: answer %q does not hold %q", tc.method, tc.path, a.body, tc.in)
			}
			if a.code >= 400 {
				e := a.errorBody(t)
				if tc.code != http.StatusMethodNotAllowed && tc.code != http.StatusServiceUnavailable && e.Hint == "" {
					t.Errorf("%d answer without a hint: %s", a.code, a.body)
				}
			}
			if got := a.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow: %q, want %q", got, tc.allow)
			}
			if got := a.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: %q, want no-store", got)
			}
			if got := f.startCount(); got != tc.starts {
				t.Errorf("StartCall called %d times, want %d", got, tc.starts)
			}
			if got := f.hangupCount(); got != tc.hangups {
				t.Errorf("Hangup called %d times, want %d", got, tc.hangups)
			}
		})
	}
}

// The answers are the kiosk's own types, whole: a client decodes them
// back into what the Controller returned.
func TestAnswersDecode(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	since := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	want := kiosk.Status{State: kiosk.StateCalling, Since: since, UptimeS: 3600, Calls: 7, Ready: true,
		Call:      &kiosk.CallStatus{ID: "c7", Trigger: kiosk.TriggerAPI, Started: since},
		LastError: &kiosk.ErrorStatus{Time: since, Kind: "connect", Message: "server went away"},
		Devices:   &kiosk.DeviceStatus{Input: "pulse", Output: "pulse"}}
	f := &fakeKiosk{status: want}
	ts := serve(t, Options{Controller: f})

	var got kiosk.Status
	decode(t, ts.do(t, "GET", "/status", "", nil), &got)
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("status:\n got %s\nwant %s", g, w)
	}
	var started kiosk.CallStatus
	decode(t, ts.do(t, "POST", "/call", "", nil), &started)
	if started.ID != "c1" || started.Trigger != kiosk.TriggerAPI || !started.Started.Equal(callStarted) {
		t.Errorf("POST /call answered %+v", started)
	}
	if by := f.triggers(); len(by) != 1 || by[0] != kiosk.TriggerAPI {
		t.Errorf("the calls were started by %q, want one by %q", by, kiosk.TriggerAPI)
	}
	var ended kiosk.CallStatus
	decode(t, ts.do(t, "POST", "/hangup", "", nil), &ended)
	if ended.Ended.IsZero() || ended.Reason != "hangup" {
		t.Errorf("POST /hangup answered %+v", ended)
	}
}

// Without a Gatherer there is no /metrics: a 404, not an empty page that
// a scraper would take for a kiosk without metrics.
func TestNoMetricsWithoutGatherer(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	ts := serve(t, Options{Controller: &fakeKiosk{}})
	a := ts.do(t, "GET", "/metrics", "", nil)
	if a.code != http.StatusNotFound {
		t.Fatalf("GET /metrics: %d, want 404", a.code)
	}
	if e := a.errorBody(t); strings.Contains(e.Hint, "/metrics") {
		t.Errorf("the 404's hint offers /metrics: %q", e.Hint)
	}
}

// testRegistry is a registry with one counter at n, as the kiosk's would
// hold its calls.
func testRegistry(t *testing.T, n float64) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "webcall_kiosk_test_calls_total", Help: "Calls of the test."})
	reg.MustRegister(c)
	c.Add(n)
	return reg
}

func decode(t *testing.T, a answer, v any) {
	t.Helper()
	if a.code >= 300 {
		t.Fatalf("answer %d: %s", a.code, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal([]byte(a.body), v); err != nil {
		t.Fatalf("decode %q: %v", a.body, err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
