//go:build !noportaudio

package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/netem"
	"github.com/webcall-cli/webcall/internal/pulse"
)

// Nobody else gets in: `webcall kiosk` listening on a non-loopback
// address (198.18.0.1, in a network namespace the test makes) with
// --api-token-file answers a POST /call without the token, or with a
// wrong one, with 401 and starts no call (its own /status and /metrics
// say so); with the token, the call starts.
func TestKioskAPINeedsItsTokenOffLoopback(t *testing.T) {
	inParallel(t)
	if testing.Short() {
		t.Skip("end-to-end")
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("needs root to make a network namespace, and CI must run it")
		}
		t.Skip("needs root to make a network namespace; run as root (CI does)")
	}
	ns, err := netem.NewNamespace()
	if err != nil {
		t.Fatalf("make a network namespace: %v", err)
	}
	t.Cleanup(func() { ns.Close() })
	s := pulse.Start(t)
	const token = "kiosk-api-token-7d41c9a0b2e35f68"
	tokenFile := filepath.Join(t.TempDir(), "api-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(ns.Addr(), "18089")
	k := &kioskProc{base: "http://" + addr, dir: filepath.Join(t.TempDir(), "calls"), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	// The server is not reachable from the namespace: a call that
	// starts fails to connect and is retried, which is all this test
	// needs of it.
	k.cmd = ns.Command(context.Background(), webcallBin, "kiosk", "--listen", addr, "--api-token-file", tokenFile,
		"--url", "ws://127.0.0.1:9", "--api-key", "devkey", "--agent-name", "nobody",
		"--input-device", pulse.ALSAMic, "--output-device", pulse.ALSASpeaker, "--files-dir", k.dir)
	k.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LIVEKIT_API_SECRET=secret"}, s.Env()...)
	// Requests are made from inside the namespace too: 198.18.0.1 is
	// not reachable from the host.
	k.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, a string) (c net.Conn, err error) {
			err = ns.Do(func() error {
				var d net.Dialer
				c, err = d.DialContext(ctx, network, a)
				return err
			})
			return c, err
		},
	}}
	k.start(t)
	k.token = token
	k.waitFor(t, "ready", 20*time.Second, func() bool { _, c := k.get(t, "/readyz"); return c == http.StatusOK })

	for _, bearer := range []string{"", "kiosk-api-token-wrong-00000000000"} {
		k.token = bearer
		body, code := k.do(t, http.MethodPost, "/call")
		if code != http.StatusUnauthorized {
			t.Errorf("POST /call with token %q: %d %s, want 401", bearer, code, body)
		}
		if _, code := k.get(t, "/status"); code != http.StatusUnauthorized {
			t.Errorf("GET /status with token %q: %d, want 401", bearer, code)
		}
	}
	k.token = token
	if st := k.status(t); st.Calls != 0 || st.State != "idle" {
		t.Errorf("after the refused requests: %d calls, state %s; want none, idle", st.Calls, st.State)
	}
	if v := k.metric(t, `webcall_kiosk_calls_started_total{trigger="api"}`); v != 0 {
		t.Errorf("calls started after the refused requests: %v", v)
	}
	if body, code := k.do(t, http.MethodPost, "/call"); code != http.StatusAccepted {
		t.Fatalf("POST /call with the token: %d %s, want 202", code, body)
	}
	if v := k.metric(t, `webcall_kiosk_calls_started_total{trigger="api"}`); v != 1 {
		t.Errorf("calls started with the token: %v, want 1", v)
	}
}
