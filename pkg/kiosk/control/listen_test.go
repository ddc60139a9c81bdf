package control

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/failure"
)

func TestCheckListen(t *testing.T) {
	tests := []struct {
		addr     string
		token    bool
		wantCond error // nil: accepted
	}{
		{"127.0.0.1:8089", false, nil},
		{"127.3.4.5:8089", false, nil},
		{"localhost:8089", false, nil},
		{"LocalHost:0", false, nil},
		{"[::1]:8089", false, nil},
		{"[::ffff:127.0.0.1]:8089", false, nil},
		{":8089", false, ErrUnprotectedAddress},
		{"0.0.0.0:8089", false, ErrUnprotectedAddress},
		{"[::]:8089", false, ErrUnprotectedAddress},
		{"198.18.0.1:8089", false, ErrUnprotectedAddress},
		{"192.168.1.20:8089", false, ErrUnprotectedAddress},
		{"[fe80::1%eth0]:8089", false, ErrUnprotectedAddress},
		{"kiosk.local:8089", false, ErrUnprotectedAddress},
		{"localhost.example.com:8089", false, ErrUnprotectedAddress},
		{"128.0.0.1:8089", false, ErrUnprotectedAddress},
		{":8089", true, nil},
		{"0.0.0.0:8089", true, nil},
		{"198.18.0.1:8089", true, nil},
		{"127.0.0.1", false, ErrBadAddress},
		{"8089", true, ErrBadAddress},
		{"", false, ErrBadAddress},
	}
	for _, tc := range tests {
		err := CheckListen(tc.addr, tc.token)
		if tc.wantCond == nil {
			if err != nil {
				t.Errorf("CheckListen(%q, token %v): %v", tc.addr, tc.token, err)
			}
			continue
		}
		if !errors.Is(err, tc.wantCond) {
			t.Errorf("CheckListen(%q, token %v) = %v, want %v", tc.addr, tc.token, err, tc.wantCond)
			continue
		}
		if !strings.Contains(err.Error(), tc.addr) {
			t.Errorf("CheckListen(%q): %q does not name the address", tc.addr, err)
		}
		if failure.HintOf(err) == "" {
			t.Errorf("CheckListen(%q): no hint", tc.addr)
		}
		assertDomainWords(t, err)
	}
}

// Serve itself holds to the rule: a listener that others can reach is
// refused without a token, and closed.
func TestServeRefusesUnprotectedListener(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The real socket stays on loopback; only its address says otherwise,
	// so that nothing is exposed while the test runs.
	exposed := &addrListener{Listener: ln, addr: &net.TCPAddr{IP: net.IPv4zero, Port: 8089}}
	s, err := New(Options{Controller: &fakeKiosk{}})
	if err != nil {
		t.Fatal(err)
	}
	// A Serve that wrongly accepts the listener serves until this ends.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err = s.Serve(ctx, exposed)
	if !errors.Is(err, ErrUnprotectedAddress) {
		t.Fatalf("Serve on %s without a token = %v, want %v", exposed.Addr(), err, ErrUnprotectedAddress)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the refused listener was left open (Accept: %v)", err)
	}
}

// A Unix socket is this machine's only: served without a token.
func TestServeOnUnixSocket(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	path := filepath.Join(t.TempDir(), "control.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}
	f := &fakeKiosk{}
	ts := serveOn(t, ln, Options{Controller: f}, tr)
	ts.url = "http://kiosk"
	if a := ts.do(t, "POST", "/call", "", nil); a.code != http.StatusAccepted || f.startCount() != 1 {
		t.Errorf("POST /call over %s: %d %s, %d calls; want 202 and one", path, a.code, a.body, f.startCount())
	}
}

func TestServeTwice(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	f := &fakeKiosk{}
	s, err := New(Options{Controller: f})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextWithCancel(t)
	done := make(chan error, 1)
	ln1, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- s.Serve(ctx, ln1) }()
	// The first Serve has taken the server once it answers.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	for {
		resp, err := (&http.Client{Transport: tr}).Get("http://" + ln1.Addr().String() + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	ln2, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ctx, ln2); err == nil {
		t.Error("a second Serve was accepted")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestNewNeedsController(t *testing.T) {
	if _, err := New(Options{}); !errors.Is(err, ErrNoController) {
		t.Errorf("New without a Controller = %v, want %v", err, ErrNoController)
	}
}

type addrListener struct {
	net.Listener
	addr net.Addr
}

func (l *addrListener) Addr() net.Addr { return l.addr }

// commandWords are the words of a command line rather than of this
// package (a flag, an environment variable): the command adds those.
var commandWords = regexp.MustCompile(`(^|[\s(/'"])(--[a-z][a-z0-9-]*|-[A-Za-z])\b|\b(LIVEKIT|HMS)_[A-Z_]+\b`)

// assertDomainWords fails if err's message or any hint in its chain uses
// command-line words.
func assertDomainWords(t *testing.T, err error) {
	t.Helper()
	texts := []string{err.Error()}
	for e := err; e != nil; {
		var fe *failure.Error
		if !errors.As(e, &fe) {
			break
		}
		texts = append(texts, fe.Hint)
		e = fe.Err
	}
	for _, s := range texts {
		if w := commandWords.FindString(s); w != "" {
			t.Errorf("%q names %q, a command's word", s, w)
		}
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx, cancel
}
