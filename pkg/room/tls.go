package room

// TLS roots are process-wide because the SDK dials through package
// defaults: the signalling WebSocket through gorilla's
// websocket.DefaultDialer and the /rtc/validate request (which explains a
// failed join) through http.DefaultClient. Neither can be chosen per room,
// so SetRootCAs replaces both, once, before the first Join. The pool it
// is given is the system store plus the user's CA bundle (LoadRootCAs):
// it only ever adds trust the user asked for, so that other users of
// those defaults in the process are not harmed.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// maxCAFile bounds what LoadRootCAs reads: the whole Mozilla bundle is
// about 220 KB, so a file many times that is not a CA bundle.
const maxCAFile = 8 << 20

var rootsMu sync.Mutex

// SetRootCAs makes every connection to a LiveKit server verify its
// certificate against pool instead of the system store; nil puts Go's
// default back (the system store, which SSL_CERT_FILE and SSL_CERT_DIR
// change). It is process-wide (see above): call it before the first Join,
// never while one runs. It returns a function that puts back what was
// there before, for tests.
func SetRootCAs(pool *x509.CertPool) (restore func()) {
	rootsMu.Lock()
	defer rootsMu.Unlock()
	prevDialer, prevClient := websocket.DefaultDialer, http.DefaultClient
	dialer := *prevDialer
	client := &http.Client{}
	if pool != nil {
		dialer.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		client.Transport = t
	} else {
		dialer.TLSClientConfig = nil
	}
	websocket.DefaultDialer, http.DefaultClient = &dialer, client
	return func() {
		rootsMu.Lock()
		defer rootsMu.Unlock()
		websocket.DefaultDialer, http.DefaultClient = prevDialer, prevClient
	}
}

// LoadRootCAs is the system store plus every certificate in the PEM file
// at path. A file that cannot be read, holds no certificate, or holds one
// that does not parse is a Usage error naming the file and the problem
// (ErrCAFile): trusting less than the user meant would fail later, at
// join, with a message about the server instead of the file.
func LoadRootCAs(path string) (*x509.CertPool, error) {
	certs, err := readCAFile(path)
	if err != nil {
		return nil, failure.Wrap(failure.Usage, err, fmt.Sprintf("cannot use the CA file %s", path)).WithCond(ErrCAFile).
			WithHint("give a PEM file of the CA certificates (BEGIN CERTIFICATE blocks) that signed the server's certificate")
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		// No system store (some minimal containers): the file alone.
		pool = x509.NewCertPool()
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

func readCAFile(path string) ([]*x509.Certificate, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, plainPathError(err)
	}
	defer f.Close()
	tooLarge := fmt.Errorf("it is larger than %d MB, too large for a CA bundle", maxCAFile>>20)
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, errors.New("it is a directory")
	} else if err == nil && fi.Size() > maxCAFile {
		return nil, tooLarge
	}
	// Bounded also for what Stat cannot size (a pipe, /dev/zero).
	b, err := io.ReadAll(io.LimitReader(f, maxCAFile+1))
	if err != nil {
		return nil, plainPathError(err)
	}
	if len(b) > maxCAFile {
		return nil, tooLarge
	}
	var (
		certs []*x509.Certificate
		other []string
	)
	rest := b
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			other = append(other, block.Type)
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d does not parse: %v", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	switch {
	case len(certs) > 0:
		return certs, nil
	case len(other) > 0:
		// Never the block itself: it may be a private key.
		return nil, fmt.Errorf("it holds no certificate, only %s", strings.Join(other, ", "))
	case len(bytes.TrimSpace(b)) == 0:
		return nil, errors.New("it is empty")
	case !bytes.Contains(b, []byte("-----BEGIN")):
		return nil, errors.New("it is not PEM (if it is DER, convert it: openssl x509 -inform der -in FILE -out ca.pem)")
	default:
		return nil, errors.New("it holds no certificate")
	}
}

// plainPathError is the cause of a *os.PathError ("no such file or
// directory"), whose own text would repeat the path.
func plainPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// certificateError is the join error to report when err comes from a TLS
// handshake that failed, or nil. The SDK's join tries the WebSocket and
// then /rtc/validate; both fail the same way, and the error it returns
// carries the validate request's URL around the x509 error, which says
// what is wrong in terms a person cannot act on. errors.As finds the
// x509 error when the SDK keeps the chain; the text is matched too, in
// case a later version flattens it.
func certificateError(serverURL string, err error) *failure.Error {
	host := serverURL
	if u, perr := url.Parse(serverURL); perr == nil && u.Host != "" {
		host = u.Hostname()
	}
	at := "could not connect to " + serverURL + ": "
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
	)
	msg := err.Error()
	fixHost := "connect with a host name the certificate names, or fix the server's certificate"
	switch {
	case errors.As(err, &unknown) || strings.Contains(msg, "certificate signed by unknown authority"):
		return failure.New(failure.Connect, at+"the server's TLS certificate is signed by an authority this machine does not trust").
			WithCond(ErrUntrustedCertificate).
			WithHint("if the server uses a private CA, trust its certificate; otherwise check that nothing intercepts the connection")
	case errors.As(err, &hostname):
		return failure.Newf(failure.Connect, "%sthe server's TLS certificate is not valid for %s (it is for %s)", at, host, certNames(hostname.Certificate)).
			WithCond(ErrCertificateHost).WithHint(fixHost)
	case strings.Contains(msg, "x509: certificate is valid for") || strings.Contains(msg, "x509: certificate is not valid for any names"):
		return failure.Newf(failure.Connect, "%sthe server's TLS certificate is not valid for %s", at, host).
			WithCond(ErrCertificateHost).WithHint(fixHost)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired,
		strings.Contains(msg, "x509: certificate has expired or is not yet valid"):
		return failure.New(failure.Connect, at+"the server's TLS certificate has expired or is not yet valid").
			WithCond(ErrCertificateInvalid).
			WithHint("renew the server's certificate, or check this machine's clock")
	case errors.As(err, &invalid) || strings.Contains(msg, "tls: failed to verify certificate"):
		return failure.Newf(failure.Connect, "%sthe server's TLS certificate was refused (%s)", at, x509Reason(msg)).
			WithCond(ErrCertificateInvalid).
			WithHint("check the server's certificate chain")
	case errors.As(err, &record) || errors.Is(err, http.ErrSchemeMismatch) ||
		strings.Contains(msg, "first record does not look like a TLS handshake") ||
		strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return failure.New(failure.Connect, at+"the server does not speak TLS on that port").
			WithCond(ErrNotTLS).
			WithHint("use ws:// (or http://) for a server without TLS, or the port where TLS is served")
	}
	return nil
}

// certNames lists a certificate's names for a message, shortened.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "other names"
	}
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	if len(names) == 0 {
		return "no names at all"
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("%d more", len(names)-4))
	}
	return strings.Join(names, ", ")
}

// x509Reason is the part of msg from "x509: " on, without the prefix:
// the reason without the URL and the query the SDK wrapped it in.
func x509Reason(msg string) string {
	if i := strings.LastIndex(msg, "x509: "); i >= 0 {
		return msg[i+len("x509: "):]
	}
	if i := strings.LastIndex(msg, "tls: "); i >= 0 {
		return msg[i:]
	}
	return "unknown reason"
}
