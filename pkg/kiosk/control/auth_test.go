package control

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/kiosk"
)

const testToken = "k1osk-t0ken-7f3a9c2e5b81d046"

// With a token, every route but /healthz needs it: without it, or with
// another, the answer is 401 with a Bearer challenge, and the kiosk is
// not asked anything. The right token opens every route.
func TestBearerAuth(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	f := &fakeKiosk{status: kiosk.Status{State: kiosk.StateIdle}}
	ts := serve(t, Options{Controller: f, Token: []byte(testToken), Gatherer: testRegistry(t, 1)})

	closed := []struct {
		method, path string
		code         int // with the right token
	}{
		{"POST", "/call", http.StatusAccepted},
		{"POST", "/hangup", http.StatusOK},
		{"GET", "/readyz", http.StatusOK},
		{"GET", "/status", http.StatusOK},
		{"GET", "/metrics", http.StatusOK},
		{"GET", "/nowhere", http.StatusNotFound},
		{"GET", "/call", http.StatusMethodNotAllowed},
	}
	refused := []struct {
		name, auth, challenge string
	}{
		{"no header", "", `Bearer realm="webcall kiosk"`},
		{"wrong token", "Bearer " + strings.ToUpper(testToken), `Bearer realm="webcall kiosk", error="invalid_token"`},
		{"the token's prefix", "Bearer " + testToken[:len(testToken)-1], `Bearer realm="webcall kiosk", error="invalid_token"`},
		{"the token and more", "Bearer " + testToken + "0", `Bearer realm="webcall kiosk", error="invalid_token"`},
		{"the token without scheme", testToken, `Bearer realm="webcall kiosk"`},
		{"basic auth", "Basic a2lvc2s6" + testToken, `Bearer realm="webcall kiosk"`},
		{"empty bearer", "Bearer ", `Bearer realm="webcall kiosk"`},
	}
	for _, r := range closed {
		for _, bad := range refused {
			a := ts.do(t, r.method, r.path, bad.auth, nil)
			if a.code != http.StatusUnauthorized {
				t.Errorf("%s %s, %s: %d, want 401", r.method, r.path, bad.name, a.code)
				continue
			}
			if got := a.header.Get("WWW-Authenticate"); got != bad.challenge {
				t.Errorf("%s %s, %s: WWW-Authenticate %q, want %q", r.method, r.path, bad.name, got, bad.challenge)
			}
			if a.header.Get("Allow") != "" {
				t.Errorf("%s %s, %s: a 401 tells the methods (Allow: %s)", r.method, r.path, bad.name, a.header.Get("Allow"))
			}
			a.errorBody(t)
		}
	}
	if n := f.startCount(); n != 0 {
		t.Fatalf("refused requests started %d calls", n)
	}
	if n := f.hangupCount(); n != 0 {
		t.Fatalf("refused requests hung up %d times", n)
	}
	f.mu.Lock()
	statuses := f.statuses
	f.mu.Unlock()
	if statuses != 0 {
		t.Fatalf("refused requests read the status %d times", statuses)
	}

	// /healthz is open: probes carry no credentials.
	if a := ts.do(t, "GET", "/healthz", "", nil); a.code != http.StatusOK {
		t.Errorf("GET /healthz without the token: %d, want 200", a.code)
	}
	for _, auth := range []string{"Bearer " + testToken, "bearer " + testToken, "BEARER   " + testToken} {
		for _, r := range closed {
			if a := ts.do(t, r.method, r.path, auth, nil); a.code != r.code {
				t.Errorf("%s %s with %q: %d %s, want %d", r.method, r.path, strings.Replace(auth, testToken, "<token>", 1), a.code, a.body, r.code)
			}
		}
	}
	if n := f.startCount(); n != 3 {
		t.Errorf("the right token started %d calls, want 3", n)
	}
	if strings.Contains(ts.logs.String(), testToken) {
		t.Errorf("the log holds the token:\n%s", ts.logs.String())
	}
	if !strings.Contains(ts.logs.String(), "refused a request without the right token") {
		t.Errorf("the refusals are not in the log:\n%s", ts.logs.String())
	}
}

// The token is in no answer, whatever route the kiosk's text reaches:
// even a status that quotes it (a bug of the kiosk) is masked, since New
// registers the token for redaction.
func TestTokenNeverServed(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	f := &fakeKiosk{status: kiosk.Status{State: kiosk.StateIdle, NotReady: "stale " + testToken}}
	ts := serve(t, Options{Controller: f, Token: []byte(testToken), Gatherer: testRegistry(t, 1)})
	for _, auth := range []string{"", "Bearer wrong-" + testToken, "Bearer " + testToken} {
		for _, p := range []string{"/call", "/hangup", "/readyz", "/status", "/metrics", "/healthz", "/x"} {
			a := ts.do(t, "GET", p, auth, nil)
			for k, v := range a.header {
				if strings.Contains(strings.Join(v, " "), testToken) {
					t.Errorf("GET %s: header %s holds the token", p, k)
				}
			}
			if strings.Contains(a.body, testToken) {
				t.Errorf("GET %s: the answer holds the token: %s", p, a.body)
			}
			if p == "/status" && a.code == http.StatusOK && !strings.Contains(a.body, `"not_ready":"stale [REDACTED]"`) {
				t.Errorf("GET /status: the token was not masked: %s", a.body)
			}
		}
	}
}

func TestTokensEqual(t *testing.T) {
	want := digestOf([]byte(testToken))
	tests := []struct {
		name      string
		presented string
		equal     bool
	}{
		{"equal", testToken, true},
		{"unequal, same length", strings.Replace(testToken, "k", "K", 1), false},
		{"unequal, last byte", testToken[:len(testToken)-1] + "x", false},
		{"shorter", testToken[:8], false},
		{"longer", testToken + testToken, false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		if got := tokensEqual([]byte(tc.presented), want); got != tc.equal {
			t.Errorf("%s: tokensEqual = %v, want %v", tc.name, got, tc.equal)
		}
	}
}

// Tokens that differ anywhere, of any length, never compare equal: a
// compare of a part of the digests would let some through.
func TestTokensEqualMany(t *testing.T) {
	want := digestOf([]byte(testToken))
	for i := range 5000 {
		b := make([]byte, 1+i%64)
		rand.Read(b)
		if tokensEqual(b, want) {
			t.Fatalf("%x compared equal to the token", b)
		}
	}
	if !tokensEqual([]byte(testToken), want) {
		t.Fatal("the token itself compared unequal")
	}
}

func TestBearerHeader(t *testing.T) {
	tests := []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"Bearer   abc", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic abc", "", false},
		{"Bearerabc", "", false},
		{"abc", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "/status", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		token, ok := bearer(r)
		if token != tc.token || ok != tc.ok {
			t.Errorf("%q: bearer = %q, %v; want %q, %v", tc.header, token, ok, tc.token, tc.ok)
		}
	}
}

// A flood of refusals makes a line a second, each with its count, so the
// count of all refusals is kept while the journal is not filled.
func TestRefusalLogIsBounded(t *testing.T) {
	var l refusalLog
	t0 := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	logged, total := 0, 0
	for i := range 1000 {
		if n, log := l.note(t0.Add(time.Duration(i) * 5 * time.Millisecond)); log {
			logged++
			total += n
		}
	}
	// 1000 refusals over 5 s: the first, then one a second.
	if logged != 5 {
		t.Errorf("%d lines for 1000 refusals in 5 s, want 5", logged)
	}
	if n, log := l.note(t0.Add(time.Hour)); !log || total+n != 1001 {
		t.Errorf("the lines account for %d refusals (last line %v), want 1001", total+n, log)
	}
}
