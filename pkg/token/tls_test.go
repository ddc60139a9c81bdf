package token

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// A token endpoint behind a private CA: refused with a certificate
// message until its CA is among the roots, then used; the roots go back
// to the system store on restore.
func TestEndpointRootCAs(t *testing.T) {
	noLeaks(t)
	ts := &tokenServer{t: t, shape: func(tok string) any {
		return map[string]string{"server_url": "wss://example.livekit.cloud", "participant_token": tok}
	}}
	srv := httptest.NewTLSServer(ts)
	t.Cleanup(srv.Close)
	e := Endpoint{URL: srv.URL + "/api/token", Request: EndpointRequest{RoomName: "r", ParticipantIdentity: "u"}}

	fetchErr := func() error {
		_, err := e.Fetch(context.Background())
		return err
	}
	err := fetchErr()
	if !errors.Is(err, ErrServerCertificate) || failure.KindOf(err) != failure.Connect {
		t.Fatalf("with the system store only: got %v (kind %v), want a refused certificate", err, failure.KindOf(err))
	}
	if !strings.Contains(err.Error(), "its TLS certificate was refused") {
		t.Errorf("message %q does not say it is the certificate", err)
	}

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	restore := SetRootCAs(pool)
	if err := fetchErr(); err != nil {
		t.Errorf("with the CA among the roots: %v", err)
	}
	restore()
	if err := fetchErr(); !errors.Is(err, ErrServerCertificate) {
		t.Errorf("after restore: got %v, want the certificate refused again", err)
	}
}
