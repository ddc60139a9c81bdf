package netem

import (
	"fmt"
	"net"
	"strconv"
	"testing"
)

// Ports are a server's three ports on the host's loopback.
type Ports struct {
	HTTP   int // signalling: HTTP and WebSocket
	ICETCP int // WebRTC over TCP (the server's passive ICE-TCP candidate)
	ICEUDP int // WebRTC over UDP (the server's one UDP port)
}

// Link is a client namespace whose loopback leads to a server on the
// host's loopback, at the same port numbers, through the relays.
type Link struct {
	NS     *Namespace
	HTTP   *TCPForwarder
	ICETCP *TCPForwarder
	UDP    *UDPRelay

	extra []*TCPForwarder
}

// Forward adds a TCP forwarder from port in the namespace to hostPort on
// the host's loopback (a TURN server that clients reach on port 443, say).
func (l *Link) Forward(t testing.TB, port, hostPort int) *TCPForwarder {
	t.Helper()
	ln, err := l.NS.Listen("tcp4", loopback(port))
	if err != nil {
		t.Fatalf("open a TCP forwarder in the namespace: %v", err)
	}
	f := NewTCPForwarder(ln, loopback(hostPort))
	l.extra = append(l.extra, f)
	return f
}

// StartLink makes a namespace for the test, with relays to the server's
// ports, and removes it all in t.Cleanup. It fails the test (never skips
// it) when namespaces cannot be made: a skipped network test looks like a
// passing one in CI.
func StartLink(t testing.TB, p Ports, seed uint64) *Link {
	t.Helper()
	ns, err := NewNamespace()
	if err != nil {
		t.Fatalf("make a network namespace for the client (needs root and iproute2): %v", err)
	}
	l := &Link{NS: ns}
	t.Cleanup(func() {
		l.close(t)
	})
	if l.HTTP, err = forward(ns, p.HTTP); err != nil {
		t.Fatal(err)
	}
	if l.ICETCP, err = forward(ns, p.ICETCP); err != nil {
		t.Fatal(err)
	}
	pc, err := ns.ListenPacket("udp4", loopback(p.ICEUDP))
	if err != nil {
		t.Fatalf("open the UDP relay in the namespace: %v", err)
	}
	if l.UDP, err = NewUDPRelay(pc, loopback(p.ICEUDP), seed); err != nil {
		t.Fatal(err)
	}
	return l
}

func forward(ns *Namespace, port int) (*TCPForwarder, error) {
	ln, err := ns.Listen("tcp4", loopback(port))
	if err != nil {
		return nil, fmt.Errorf("open the TCP forwarder in the namespace: %w", err)
	}
	return NewTCPForwarder(ln, loopback(port)), nil
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// Summary is the link's counters in one line, for a test's log.
func (l *Link) Summary() string {
	up, down := l.UDP.Up(), l.UDP.Down()
	return fmt.Sprintf("udp up %d in/%d dropped/%d out, down %d in/%d dropped/%d out (%d flows); ice-tcp %d B up/%d B down; signalling %d B up/%d B down",
		up.In, up.Dropped, up.Out, down.In, down.Dropped, down.Out, l.UDP.Flows(),
		l.ICETCP.BytesUp(), l.ICETCP.BytesDown(), l.HTTP.BytesUp(), l.HTTP.BytesDown())
}

func (l *Link) close(t testing.TB) {
	if l.UDP != nil {
		l.UDP.Close()
	}
	for _, f := range append([]*TCPForwarder{l.ICETCP, l.HTTP}, l.extra...) {
		if f != nil {
			f.Close()
		}
	}
	if err := l.NS.Close(); err != nil {
		t.Errorf("delete the client's network namespace: %v", err)
	}
}
