package tlsproxy

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

// echoServer answers every line with itself until the test ends.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func dial(p *Proxy, host string, roots *x509.CertPool) (*tls.Conn, error) {
	return tls.Dial("tcp", p.Addr, &tls.Config{RootCAs: roots, ServerName: host})
}

func TestProxyForwardsWithTheRightCertificate(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	ca := NewCA(t)
	p := Start(t, echoServer(t), ca.Issue(t, Localhost))
	for _, host := range []string{"localhost", "127.0.0.1"} {
		c, err := dial(p, host, ca.Pool())
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		if _, err := io.WriteString(c, "hello\n"); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "hello\n" {
			t.Fatalf("%s: echoed %q, %v", host, line, err)
		}
		c.Close()
	}
}

func TestProxyCertificatesFailAsTheyShould(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	ca := NewCA(t)
	backend := echoServer(t)
	tests := []struct {
		name  string
		leaf  Leaf
		roots *x509.CertPool
		want  any
	}{
		{"another CA", Localhost, NewCA(t).Pool(), &x509.UnknownAuthorityError{}},
		{"wrong host", Leaf{Hosts: []string{"example.invalid"}}, ca.Pool(), &x509.HostnameError{}},
		{"expired", Leaf{Hosts: Localhost.Hosts, Expired: true}, ca.Pool(), &x509.CertificateInvalidError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Start(t, backend, ca.Issue(t, tt.leaf))
			c, err := dial(p, "localhost", tt.roots)
			if err == nil {
				c.Close()
				t.Fatal("the handshake succeeded")
			}
			switch want := tt.want.(type) {
			case *x509.UnknownAuthorityError:
				if !errors.As(err, want) {
					t.Fatalf("got %v, want an unknown authority", err)
				}
			case *x509.HostnameError:
				if !errors.As(err, want) {
					t.Fatalf("got %v, want a host name error", err)
				}
			case *x509.CertificateInvalidError:
				if !errors.As(err, want) || want.Reason != x509.Expired {
					t.Fatalf("got %v, want an expired certificate", err)
				}
			}
		})
	}
}
