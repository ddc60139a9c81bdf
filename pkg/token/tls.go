package token

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"sync"
)

// The token endpoint and the HMS API are usually served by the same
// deployment as the LiveKit server, behind the same private CA, so they
// trust the same roots. Like pkg/room's, they are process-wide: a Source
// with a nil Client uses them.
var (
	rootsMu        sync.Mutex
	rootsTransport *http.Transport // nil: Go's default transport and roots
)

// SetRootCAs makes the requests of every Source without a Client of its
// own verify certificates against pool (the system store plus the user's
// CA, as room.LoadRootCAs makes it); nil puts Go's default back. Call it
// before fetching. It returns a function that puts back what was there
// before, for tests.
func SetRootCAs(pool *x509.CertPool) (restore func()) {
	rootsMu.Lock()
	defer rootsMu.Unlock()
	prev := rootsTransport
	rootsTransport = nil
	if pool != nil {
		// One transport for the process, so that connections are reused
		// and idle ones are closed by its timeout, not left per request.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		rootsTransport = t
	}
	return func() {
		rootsMu.Lock()
		defer rootsMu.Unlock()
		if rootsTransport != nil {
			rootsTransport.CloseIdleConnections()
		}
		rootsTransport = prev
	}
}

// defaultClient is the client of a Source that has none.
func defaultClient() *http.Client {
	c := &http.Client{Timeout: HTTPTimeout, CheckRedirect: sameHostRedirect}
	rootsMu.Lock()
	if rootsTransport != nil {
		c.Transport = rootsTransport
	}
	rootsMu.Unlock()
	return c
}

// isCertificateError is whether a request failed because the server's
// certificate was refused.
func isCertificateError(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) ||
		strings.Contains(err.Error(), "tls: failed to verify certificate")
}
