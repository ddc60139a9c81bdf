package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/internal/tlsproxy"
)

// tlsConnectTimeout is the calls' --connect-timeout below: a refused
// certificate must be reported well before it, not by it.
const tlsConnectTimeout = 30 * time.Second

// TestCallOverTLS: the real server and test agent behind a TLS-terminating
// proxy whose certificate a private CA signed (the media still goes to the
// server directly). With --ca-file the call completes with both sides'
// captions; without it, or to a certificate for another host, the call
// fails with exit 3 and a message about the certificate, at once; a
// --ca-file that is missing or holds no certificate is a usage error
// before anything connects.
func TestCallOverTLS(t *testing.T) {
	inParallel(t)
	e := startE2E(t, testagent.Options{})
	backend, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ca := tlsproxy.NewCA(t)
	good := tlsproxy.Start(t, backend.Host, ca.Issue(t, tlsproxy.Localhost))
	dir := t.TempDir()
	caFile := ca.WritePEM(t, dir)
	env := map[string]string{"LIVEKIT_API_SECRET": e.srv.APISecret}
	run := func(t *testing.T, args ...string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		r := runBin(t, ctx, env, e.fileCallArgs(append([]string{"--connect-timeout", tlsConnectTimeout.String()}, args...)...)...)
		t.Logf("exit %d after %s; stderr:\n%s", r.code, r.elapsed.Round(time.Millisecond), r.stderr)
		noStackTrace(t, r)
		return r
	}

	t.Run("private CA with --ca-file", func(t *testing.T) {
		r := run(t, "--url", good.URL("localhost"), "--ca-file", caFile, "--format", "json")
		if r.code != 0 {
			t.Fatalf("exit code %d, want 0\nstdout:\n%s", r.code, r.stdout)
		}
		checkOneTurn(t, parseEvents(t, r.stdout))
	})

	refused := []struct {
		name string
		url  func(t *testing.T) string
		args []string
		says []string
	}{
		{"system store only", func(*testing.T) string { return good.URL("localhost") }, nil,
			[]string{"the server's TLS certificate is signed by an authority this machine does not trust", "hint: if the server uses a private CA, pass its certificate with --ca-file"}},
		{"certificate for another host", func(t *testing.T) string {
			return tlsproxy.Start(t, backend.Host, ca.Issue(t, tlsproxy.Leaf{Hosts: []string{"calls.example.com"}})).URL("localhost")
		}, []string{"--ca-file", caFile},
			[]string{"the server's TLS certificate is not valid for localhost (it is for calls.example.com)", "hint: connect with a host name the certificate names in --url"}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.url(t)
			r := run(t, append([]string{"--url", u}, tt.args...)...)
			if r.code != exitConnect {
				t.Fatalf("exit code %d, want %d (connect)", r.code, exitConnect)
			}
			for _, s := range append(tt.says, "webcall: could not connect to "+u+": ") {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not say %q", s)
				}
			}
			if strings.Contains(r.stderr, "x509") || strings.Contains(r.stderr, "rtc/validate") {
				t.Errorf("stderr shows the SDK's raw error")
			}
			if r.elapsed >= tlsConnectTimeout*2/3 {
				t.Errorf("took %s of the %s connect timeout: found by waiting, not by the certificate", r.elapsed, tlsConnectTimeout)
			}
		})
	}

	key := filepath.Join(dir, "server.key")
	if err := os.WriteFile(key, []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badFiles := []struct {
		name, path, says string
	}{
		{"missing", filepath.Join(dir, "missing.pem"), "no such file or directory"},
		{"a key, not a certificate", key, "it holds no certificate, only EC PRIVATE KEY"},
		{"garbage", garbage, "it is not PEM"},
	}
	for _, tt := range badFiles {
		t.Run("--ca-file "+tt.name, func(t *testing.T) {
			r := run(t, "--url", good.URL("localhost"), "--ca-file", tt.path)
			if r.code != exitUsage {
				t.Fatalf("exit code %d, want %d (usage)", r.code, exitUsage)
			}
			want := "webcall: cannot use the CA file " + tt.path + ": " + tt.says
			if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "hint: give --ca-file a PEM file") {
				t.Errorf("stderr does not say %q with a hint", want)
			}
			if strings.Contains(r.stderr, "connect") || strings.Contains(r.stderr, "AAAA") {
				t.Errorf("stderr: a refused --ca-file must stop before connecting, and never show the file's content")
			}
		})
	}
}
