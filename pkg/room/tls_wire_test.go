package room_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/tlsproxy"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/room"
)

// tlsConnectTimeout is what each join below is given: a certificate
// problem must be reported well before it, not by it.
const tlsConnectTimeout = 10 * time.Second

// Over a real server behind a TLS-terminating proxy with a private CA:
// trusting the CA file joins (signalling through the proxy, media to the
// server directly); without it, or with a certificate for another host or
// an expired one, or wss:// to a port without TLS, Join fails at once with
// the certificate's problem in words, not a timeout.
func TestJoinOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local LiveKit server")
	}
	lksdk.SetLogger(protologger.GetDiscardLogger())
	srv := lkserver.Start(t)
	t.Cleanup(leaktest.Check(t))
	backend, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ca := tlsproxy.NewCA(t)
	good := tlsproxy.Start(t, backend.Host, ca.Issue(t, tlsproxy.Localhost))
	caFile := ca.WritePEM(t, t.TempDir())

	join := func(t *testing.T, serverURL string) (*room.Room, error, time.Duration) {
		t.Helper()
		start := time.Now()
		r, err := room.Join(context.Background(), room.Config{
			URL:            serverURL,
			Token:          joinToken(t, srv, "tls-"+strings.ReplaceAll(t.Name(), "/", "-"), "user", livekit.ParticipantInfo_STANDARD),
			ConnectTimeout: tlsConnectTimeout,
			TextOnly:       true,
		})
		return r, err, time.Since(start)
	}

	t.Run("trusted CA file", func(t *testing.T) {
		pool, err := room.LoadRootCAs(caFile)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(room.SetRootCAs(pool))
		for _, host := range []string{"localhost", "127.0.0.1"} {
			r, err, took := join(t, good.URL(host))
			if err != nil {
				t.Fatalf("join %s: %v", good.URL(host), err)
			}
			t.Logf("joined %s in %s (server %s)", good.URL(host), took.Round(time.Millisecond), r.ServerVersion())
			r.Close()
		}
	})

	refused := []struct {
		name string
		url  func(t *testing.T) string
		cond error
		says string
	}{
		{"system store only", func(*testing.T) string { return good.URL("localhost") },
			room.ErrUntrustedCertificate, "signed by an authority this machine does not trust"},
		{"wrong host", func(t *testing.T) string {
			return tlsproxy.Start(t, backend.Host, ca.Issue(t, tlsproxy.Leaf{Hosts: []string{"calls.example.com"}})).URL("localhost")
		}, room.ErrCertificateHost, "not valid for localhost (it is for calls.example.com)"},
		{"expired", func(t *testing.T) string {
			return tlsproxy.Start(t, backend.Host, ca.Issue(t, tlsproxy.Leaf{Hosts: tlsproxy.Localhost.Hosts, Expired: true})).URL("localhost")
		}, room.ErrCertificateInvalid, "has expired or is not yet valid"},
		{"no TLS on the port", func(*testing.T) string { return "wss://" + backend.Host },
			room.ErrNotTLS, "does not speak TLS"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cond != room.ErrUntrustedCertificate && tt.cond != room.ErrNotTLS {
				// Trusting the CA isolates the one problem under test.
				pool, err := room.LoadRootCAs(caFile)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(room.SetRootCAs(pool))
			}
			u := tt.url(t)
			r, err, took := join(t, u)
			if err == nil {
				r.Close()
				t.Fatalf("joined %s", u)
			}
			t.Logf("%s: %v (after %s)", u, err, took.Round(time.Millisecond))
			if !errors.Is(err, tt.cond) || failure.KindOf(err) != failure.Connect {
				t.Errorf("got %v (kind %v), want %q, a Connect failure", err, failure.KindOf(err), tt.cond)
			}
			if !strings.Contains(err.Error(), tt.says) || strings.Contains(err.Error(), "x509") || strings.Contains(err.Error(), "rtc/validate") {
				t.Errorf("message %q: want %q in words, without the SDK's URL or a raw x509 text", err, tt.says)
			}
			if errors.Is(err, room.ErrConnectTimeout) || took >= tlsConnectTimeout {
				t.Errorf("took %s: reported by the timeout, not by the certificate", took)
			}
		})
	}
}
