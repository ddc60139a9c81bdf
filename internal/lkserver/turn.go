package lkserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TURN is the server's embedded TURN server over TLS, the way LiveKit
// deployments offer it to clients whose network blocks UDP: the server
// hands each client the URL turns:<Domain>:443?transport=tcp (always port
// 443, where a deployment's load balancer listens), and relays that
// client's media over the TLS connection.
//
// In tests the TURN server listens on Port of the host's loopback with a
// certificate for Domain; the client's side must map Domain:443 there
// (internal/netem does, in a client namespace) and trust CAFile.
type TURN struct {
	Domain string
	Port   int
	// CAFile is the PEM certificate the TURN server presents, which is
	// its own authority: a client that trusts it (SSL_CERT_FILE for Go's
	// TLS, as pion's TURN client uses the system's roots) can connect.
	CAFile string

	certFile, keyFile string
}

// NewTURN makes a certificate for domain (which needs a dot, as the server
// checks) in a temporary directory of the test and picks a free port.
func NewTURN(t testing.TB, domain string) *TURN {
	t.Helper()
	dir := t.TempDir()
	tu := &TURN{Domain: domain, CAFile: filepath.Join(dir, "turn-cert.pem"), keyFile: filepath.Join(dir, "turn-key.pem")}
	tu.certFile = tu.CAFile
	if err := writeSelfSigned(domain, tu.certFile, tu.keyFile); err != nil {
		t.Fatalf("make the TURN server's certificate: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a port for the TURN server: %v", err)
	}
	tu.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	return tu
}

// Option turns the TURN server on. It only relays to the server's own
// loopback address, which TURN servers refuse by default (a relay into a
// private network is an attack); UDP TURN stays off, so a client whose
// UDP is blocked has exactly one way in.
func (tu *TURN) Option() Option {
	return func(c *Config) {
		var b strings.Builder
		b.WriteString("turn:\n  enabled: true\n")
		fmt.Fprintf(&b, "  domain: %s\n", tu.Domain)
		fmt.Fprintf(&b, "  tls_port: %d\n", tu.Port)
		fmt.Fprintf(&b, "  cert_file: %s\n  key_file: %s\n", tu.certFile, tu.keyFile)
		b.WriteString("  bind_addresses: [\"127.0.0.1\"]\n")
		b.WriteString("  allow_restricted_peer_cidrs: [\"127.0.0.1/32\"]\n")
		c.Extra += b.String()
	}
}

// writeSelfSigned writes a certificate for host that is its own
// authority, and its key.
func writeSelfSigned(host, certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}
