package netem

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// TCPForwarder forwards every connection accepted on a listener (in the
// client's namespace) to a target address (the server), counting bytes.
// It does not impair: TCP hides loss as delay, and the tests that use it
// need the stream intact (signalling, or ICE-TCP when UDP is blocked).
type TCPForwarder struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	accepted        atomic.Int64
	bytesUp, bytesD atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// NewTCPForwarder forwards what ln accepts to target. It owns ln.
func NewTCPForwarder(ln net.Listener, target string) *TCPForwarder {
	f := &TCPForwarder{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.accept()
	return f
}

// Addr is the forwarder's address in the client's namespace.
func (f *TCPForwarder) Addr() net.Addr { return f.ln.Addr() }

// Accepted is the number of connections accepted so far.
func (f *TCPForwarder) Accepted() int64 { return f.accepted.Load() }

// BytesUp and BytesDown are the bytes forwarded client to server and
// server to client.
func (f *TCPForwarder) BytesUp() int64   { return f.bytesUp.Load() }
func (f *TCPForwarder) BytesDown() int64 { return f.bytesD.Load() }

func (f *TCPForwarder) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		f.accepted.Add(1)
		s, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		if !f.track(c, s) {
			return
		}
		f.wg.Add(2)
		go f.copy(s, c, &f.bytesUp)
		go f.copy(c, s, &f.bytesD)
	}
}

// track registers a connection pair, or closes it if the forwarder is
// closing.
func (f *TCPForwarder) track(conns ...net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		f.conns[c] = struct{}{}
	}
	return true
}

// copy moves bytes one way; when either side ends, both are closed, which
// ends the copier of the other direction too.
func (f *TCPForwarder) copy(dst, src net.Conn, n *atomic.Int64) {
	defer f.wg.Done()
	io.Copy(countingWriter{dst, n}, src)
	dst.Close()
	src.Close()
	f.mu.Lock()
	delete(f.conns, dst)
	delete(f.conns, src)
	f.mu.Unlock()
}

type countingWriter struct {
	w net.Conn
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n.Add(int64(k))
	return k, err
}

// Close stops accepting, cuts every open connection and waits for the
// copiers to end. It is safe to call more than once.
func (f *TCPForwarder) Close() error {
	f.mu.Lock()
	var err error
	if !f.closed {
		f.closed = true
		err = f.ln.Close()
		for c := range f.conns {
			c.Close()
		}
	}
	f.mu.Unlock()
	f.wg.Wait()
	return err
}
