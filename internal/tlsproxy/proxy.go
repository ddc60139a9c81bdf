package tlsproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// handshakeTimeout bounds a client's TLS handshake: a client that refuses
// the certificate closes at once, one that never speaks must not hold a
// goroutine for the rest of the test.
const handshakeTimeout = 10 * time.Second

// Proxy terminates TLS on a loopback port and forwards to a backend.
type Proxy struct {
	// Addr is the listening address, 127.0.0.1:port.
	Addr string
	// Port is Addr's port.
	Port int

	backend string
	cert    tls.Certificate
	ln      net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start runs a proxy with cert in front of backend (host:port) until the
// test ends.
func Start(t testing.TB, backend string, cert tls.Certificate) *Proxy {
	t.Helper()
	p, err := Listen(backend, cert)
	if err != nil {
		t.Fatalf("start the TLS proxy: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// Listen is Start for code that is not a test: the caller calls Close.
func Listen(backend string, cert tls.Certificate) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		Addr:    ln.Addr().String(),
		Port:    ln.Addr().(*net.TCPAddr).Port,
		backend: backend,
		cert:    cert,
		ln:      ln,
		conns:   map[net.Conn]struct{}{},
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// URL is the proxy's WebSocket address by host name: wss://host:port.
// host is what the client checks the certificate against ("localhost",
// "127.0.0.1"); both reach the proxy.
func (p *Proxy) URL(host string) string { return fmt.Sprintf("wss://%s:%d", host, p.Port) }

// Close stops listening, cuts every connection and waits for the
// proxy's goroutines to end.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	cfg := &tls.Config{Certificates: []tls.Certificate{p.cert}, MinVersion: tls.VersionTLS12}
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if !p.track(c) {
			c.Close()
			return
		}
		p.wg.Add(1)
		go p.serve(tls.Server(c, cfg), c)
	}
}

// track registers c for Close; false once the proxy is closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *Proxy) serve(tc *tls.Conn, raw net.Conn) {
	defer p.wg.Done()
	defer p.untrack(raw)
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		// The client refused the certificate (or never spoke TLS).
		return
	}
	back, err := net.Dial("tcp", p.backend)
	if err != nil {
		return
	}
	if !p.track(back) {
		back.Close()
		return
	}
	defer p.untrack(back)
	defer back.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(back, tc)
		// The client is done sending: let the server see the end, and
		// go on relaying what it still answers.
		back.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(tc, back)
	// The server closed: end the client side, which ends the copier.
	tc.Close()
	<-done
}
