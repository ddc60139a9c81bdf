package netem

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

// udpSink is a server that notes each datagram's number and arrival, and
// echoes it back.
type udpSink struct {
	conn net.PacketConn
	mu   sync.Mutex
	got  []uint32
	at   []time.Time
	done chan struct{}
}

func startSink(t *testing.T) *udpSink {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &udpSink{conn: c, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 64)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.got = append(s.got, binary.BigEndian.Uint32(buf))
			s.at = append(s.at, time.Now())
			s.mu.Unlock()
			c.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() { c.Close(); <-s.done })
	return s
}

func (s *udpSink) received() ([]uint32, []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint32(nil), s.got...), append([]time.Time(nil), s.at...)
}

func startRelay(t *testing.T, target net.Addr) *UDPRelay {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewUDPRelay(c, target.String(), 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// send sends n numbered datagrams to the relay, gap apart, and returns
// when each was sent.
func send(t *testing.T, client net.Conn, n int, gap time.Duration) []time.Time {
	t.Helper()
	sent := make([]time.Time, n)
	buf := make([]byte, 32)
	for i := range n {
		binary.BigEndian.PutUint32(buf, uint32(i))
		sent[i] = time.Now()
		if _, err := client.Write(buf); err != nil {
			t.Fatal(err)
		}
		if gap > 0 {
			time.Sleep(gap)
		}
	}
	return sent
}

// waitCount waits (up to 5 s) until f reports at least n.
func waitCount(t *testing.T, n int64, f func() int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// The relay drops about the share it is told to, delays every datagram at
// least by the delay less the jitter, and jitter puts some out of order;
// the other direction, blocked, delivers nothing. Every count adds up.
func TestUDPRelayImpairs(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	sink := startSink(t)
	r := startRelay(t, sink.conn.LocalAddr())
	imp := Impairment{Loss: 0.1, Delay: 30 * time.Millisecond, Jitter: 10 * time.Millisecond}
	r.SetImpairment(imp, Impairment{Block: true})
	client, err := net.Dial("udp4", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	const n = 1000
	sent := send(t, client, n, 200*time.Microsecond)
	waitCount(t, n, func() int64 { c := r.Up(); return c.Out + c.Dropped })
	up := r.Up()
	// Out counts a datagram when the relay has written it; the sink's
	// reader may not have taken the last ones yet (CI, loaded).
	waitCount(t, up.Out, func() int64 { g, _ := sink.received(); return int64(len(g)) })
	got, at := sink.received()
	t.Logf("up %+v, down %+v", up, r.Down())
	if up.In != n || up.Out+up.Dropped != n || int64(len(got)) != up.Out {
		t.Fatalf("counts do not add up: %d sent, %+v, %d arrived", n, up, len(got))
	}
	// 10 % of 1000: 100, and 60 to 140 is over four standard deviations.
	if up.Dropped < 60 || up.Dropped > 140 {
		t.Errorf("dropped %d of %d at 10 %% loss", up.Dropped, n)
	}
	if up.MaxDropRun < 1 {
		t.Errorf("no run of drops counted")
	}
	reordered := 0
	for i, seq := range got {
		if d := at[i].Sub(sent[seq]); d < imp.Delay-imp.Jitter {
			t.Errorf("datagram %d took %s, less than the delay less the jitter", seq, d)
			break
		}
		if i > 0 && seq < got[i-1] {
			reordered++
		}
	}
	if reordered == 0 {
		t.Errorf("20 ms of jitter over datagrams 0.2 ms apart put none out of order")
	}
	down := r.Down()
	if down.In == 0 || down.Out != 0 || down.Dropped != down.In {
		t.Errorf("the blocked direction: %+v", down)
	}
	client.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := client.Read(make([]byte, 64)); err == nil {
		t.Errorf("an echo came back through the blocked direction")
	}
}

// Explicit reordering holds some datagrams back past their successors,
// with no jitter at all; an unimpaired relay keeps the order.
func TestUDPRelayReorders(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	for _, c := range []struct {
		name string
		imp  Impairment
		want bool
	}{
		{"reorder", Impairment{Reorder: 0.2, ReorderBy: 5 * time.Millisecond}, true},
		{"clean", Impairment{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sink := startSink(t)
			r := startRelay(t, sink.conn.LocalAddr())
			r.SetImpairment(c.imp, Impairment{})
			client, err := net.Dial("udp4", r.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			const n = 200
			send(t, client, n, 500*time.Microsecond)
			waitCount(t, n, func() int64 { return r.Up().Out })
			waitCount(t, n, func() int64 { g, _ := sink.received(); return int64(len(g)) })
			got, _ := sink.received()
			reordered := 0
			for i := 1; i < len(got); i++ {
				if got[i] < got[i-1] {
					reordered++
				}
			}
			if len(got) != n || (reordered > 0) != c.want {
				t.Errorf("%d of %d arrived, %d out of order", len(got), n, reordered)
			}
		})
	}
}

// A namespace's loopback is its own: a listener in it is reached from
// inside, not from the host.
func TestNamespaceIsolatesLoopback(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	if testing.Short() {
		t.Skip("needs root, like the end-to-end network tests")
	}
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces need root; the network tests run as root in CI")
	}
	ns, err := NewNamespace()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	ln, err := ns.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	addr := ln.Addr().String()
	// From the host: refused, or some host program's port, never ours.
	if c, err := net.DialTimeout("tcp4", addr, time.Second); err == nil {
		c.Close()
	}
	select {
	case c := <-accepted:
		c.Close()
		t.Fatalf("the host reached a listener inside the namespace")
	case <-time.After(100 * time.Millisecond):
	}
	err = ns.Do(func() error {
		c, err := net.DialTimeout("tcp4", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	if err != nil {
		t.Fatalf("inside the namespace: %v", err)
	}
	if c := <-accepted; c != nil {
		c.Close()
	}
	ln.Close()
	for range accepted {
	}
}

// The forwarder carries a stream both ways, counts it, and cuts open
// connections on Close.
func TestTCPForwarder(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	target, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := target.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c) // echo until the forwarder cuts the connection
	}()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := NewTCPForwarder(ln, target.Addr().String())
	c, err := net.Dial("tcp4", f.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := []byte("hello through the forwarder")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, len(msg))
	if _, err := io.ReadFull(c, back); err != nil || string(back) != string(msg) {
		t.Fatalf("echo %q, %v", back, err)
	}
	if f.Accepted() != 1 || f.BytesUp() != int64(len(msg)) || f.BytesDown() != int64(len(msg)) {
		t.Errorf("accepted %d, %d B up, %d B down", f.Accepted(), f.BytesUp(), f.BytesDown())
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(back); !errors.Is(err, io.EOF) {
		t.Errorf("after Close the connection reads %v, want EOF", err)
	}
	<-served
}
