package room

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/internal/tlsproxy"
	"github.com/webcall-cli/webcall/pkg/failure"
)

func TestLoadRootCAs(t *testing.T) {
	dir := t.TempDir()
	ca := tlsproxy.NewCA(t)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyPEM := []byte("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n")
	badCert := []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")

	t.Run("a bundle with the CA is trusted on top of the system store", func(t *testing.T) {
		bundle := append(append([]byte("comment line\n"), keyPEM...), ca.PEM...)
		pool, err := LoadRootCAs(write("bundle.pem", bundle))
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(ca.Issue(t, tlsproxy.Localhost).Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
			t.Errorf("a certificate of the CA does not verify: %v", err)
		}
	})

	refused := []struct {
		name, path, says string
	}{
		{"missing", filepath.Join(dir, "nope.pem"), "no such file or directory"},
		{"a directory", dir, "it is a directory"},
		{"empty", write("empty.pem", nil), "it is empty"},
		{"only a key", write("key.pem", keyPEM), "it holds no certificate, only PRIVATE KEY"},
		{"DER", write("ca.der", ca.Cert.Raw), "it is not PEM"},
		{"text", write("notes.txt", []byte("hello\n")), "it is not PEM"},
		{"a certificate that does not parse", write("bad.pem", append(append([]byte{}, ca.PEM...), badCert...)), "certificate 2 does not parse"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadRootCAs(tt.path)
			if err == nil {
				t.Fatal("accepted")
			}
			want := fmt.Sprintf("cannot use the CA file %s: %s", tt.path, tt.says)
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got %q, want it to start with %q", err, want)
			}
			if !errors.Is(err, ErrCAFile) || failure.KindOf(err) != failure.Usage {
				t.Errorf("got %v (kind %v), want ErrCAFile, a usage error", err, failure.KindOf(err))
			}
			if strings.Contains(err.Error(), "c2VjcmV0") {
				t.Errorf("the message shows the file's content: %q", err)
			}
		})
	}

	t.Run("too large", func(t *testing.T) {
		p := filepath.Join(dir, "huge.pem")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		// Sparse: the size is what counts, not the bytes on disk.
		if err := f.Truncate(2 << 30); err != nil {
			t.Fatal(err)
		}
		f.Close()
		_, err = LoadRootCAs(p)
		if err == nil || !strings.Contains(err.Error(), "too large for a CA bundle") {
			t.Errorf("got %v", err)
		}
	})
}

// The SDK may one day flatten its errors to text: the certificate's
// problem is still found, and other errors are not taken for one.
func TestCertificateErrorFromText(t *testing.T) {
	const u = "wss://calls.example.com"
	validate := `Get "https://calls.example.com/rtc/validate?version=2.18.1&protocol=17": tls: failed to verify certificate: `
	tests := []struct {
		text string
		cond error
	}{
		{validate + "x509: certificate signed by unknown authority", ErrUntrustedCertificate},
		{validate + "x509: certificate is valid for other.example.com, not calls.example.com", ErrCertificateHost},
		{validate + "x509: certificate has expired or is not yet valid: current time ...", ErrCertificateInvalid},
		{validate + "x509: certificate specifies an incompatible key usage", ErrCertificateInvalid},
		{`Get "https://calls.example.com/rtc/validate": http: server gave HTTP response to HTTPS client`, ErrNotTLS},
		{"dial tcp 127.0.0.1:40100: connect: connection refused", nil},
		{"unauthorized: invalid token", nil},
	}
	for _, tt := range tests {
		got := certificateError(u, errors.New(tt.text))
		switch {
		case tt.cond == nil && got != nil:
			t.Errorf("%q: taken for a certificate problem: %v", tt.text, got)
		case tt.cond != nil && (got == nil || !errors.Is(got, tt.cond)):
			t.Errorf("%q: got %v, want %v", tt.text, got, tt.cond)
		case got != nil && strings.Contains(got.Error(), "rtc/validate"):
			t.Errorf("%q: the message keeps the SDK's URL: %q", tt.text, got)
		}
	}
	// A port with 401 in it is no reason to blame the token.
	err := joinError(u, 0, errors.New(`Get "https://127.0.0.1:40123/rtc/validate": tls: failed to verify certificate: x509: certificate signed by unknown authority`))
	if failure.KindOf(err) != failure.Connect {
		t.Errorf("got %v (kind %v), want a Connect failure", err, failure.KindOf(err))
	}
}
