package control

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/netem"
)

// The Must-show of issue 11: the control API on an address that is not
// loopback, in a network namespace this test creates, answers a request
// without the token, or with another, 401 and starts no call; the right
// token starts one. Server and client both live in the namespace (its
// veth address, 198.18.0.1), so what crosses is a real TCP connection over
// a real non-loopback interface, and nothing is exposed on the host.
func TestNamespaceNonLoopbackNeedsToken(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	if testing.Short() {
		t.Skip("makes a network namespace (root), like the other network tests")
	}
	ns := namespaceOrSkip(t)
	t.Cleanup(func() {
		if err := ns.Close(); err != nil {
			t.Errorf("delete the network namespace: %v", err)
		}
	})
	ln, err := ns.Listen("tcp4", ns.Addr()+":0")
	if err != nil {
		t.Fatalf("listen on %s in the namespace: %v", ns.Addr(), err)
	}
	addr := ln.Addr().String()
	// The rule under test applies: this address needs a token.
	if err := CheckListen(addr, false); !errors.Is(err, ErrUnprotectedAddress) {
		t.Fatalf("CheckListen(%s) = %v, want %v", addr, err, ErrUnprotectedAddress)
	}
	// And the host cannot reach it: the listener is in the namespace.
	if c, err := net.DialTimeout("tcp4", addr, 500*time.Millisecond); err == nil {
		c.Close()
		t.Fatalf("the host reached %s, which should only exist in the namespace", addr)
	}

	// Without a token the server refuses the listener outright.
	refused, err := ns.Listen("tcp4", ns.Addr()+":0")
	if err != nil {
		t.Fatal(err)
	}
	open, err := New(Options{Controller: &fakeKiosk{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := open.Serve(t.Context(), refused); !errors.Is(err, ErrUnprotectedAddress) {
		t.Fatalf("Serve on %s without a token = %v, want %v", refused.Addr(), err, ErrUnprotectedAddress)
	}

	f := &fakeKiosk{}
	ts := serveOn(t, ln, Options{Controller: f, Token: []byte(testToken)}, namespaceTransport(ns))
	for _, tc := range []struct {
		name, auth string
	}{
		{"no token", ""},
		{"a wrong token", "Bearer " + testToken[1:] + "x"},
	} {
		a := ts.do(t, "POST", "/call", tc.auth, nil)
		if a.code != http.StatusUnauthorized {
			t.Errorf("POST /call with %s from the namespace: %d %s, want 401", tc.name, a.code, a.body)
		}
		if a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("POST /call with %s: 401 without a challenge", tc.name)
		}
		if n := f.startCount(); n != 0 {
			t.Fatalf("POST /call with %s started %d calls", tc.name, n)
		}
	}
	if a := ts.do(t, "POST", "/call", "Bearer "+testToken, nil); a.code != http.StatusAccepted {
		t.Fatalf("POST /call with the token: %d %s, want 202", a.code, a.body)
	}
	if n := f.startCount(); n != 1 {
		t.Errorf("the right token started %d calls, want 1", n)
	}
	t.Logf("served on %s inside namespace %s: 2 refused with 401, 1 call started", addr, ns.Name())
}

// namespaceOrSkip makes a namespace for the test. Without root it skips,
// saying why, unless CI is set: there a test that cannot run fails, since
// a skipped security test looks like a passing one.
func namespaceOrSkip(t *testing.T) *netem.Namespace {
	t.Helper()
	ci := os.Getenv("CI") != ""
	if os.Geteuid() != 0 && !ci {
		t.Skip("needs root to make a network namespace; run as root (CI does)")
	}
	ns, err := netem.NewNamespace()
	if err != nil {
		if !ci {
			t.Skipf("cannot make a network namespace: %v", err)
		}
		t.Fatalf("make a network namespace (needs root and iproute2): %v", err)
	}
	return ns
}

// namespaceTransport dials from inside ns: a socket keeps the namespace
// it was made in, so each connection is opened on a thread switched into
// it (Namespace.Do) and then used from anywhere.
func namespaceTransport(ns *netem.Namespace) *http.Transport {
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var c net.Conn
			err := ns.Do(func() (err error) {
				c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
				return err
			})
			return c, err
		},
	}
}
