package netem

import (
	"errors"
	"net"
	"sync"
)

// maxDatagram is the largest datagram relayed; WebRTC keeps well under a
// 1500-byte MTU.
const maxDatagram = 64 << 10

// UDPRelay relays datagrams between clients of one socket (in the client's
// namespace) and one target address (the server), impairing each
// direction. Every client address gets a host-side socket of its own, so
// the server sees each client flow as a distinct peer, as behind a NAT.
type UDPRelay struct {
	conn   net.PacketConn
	target *net.UDPAddr
	seed   uint64
	done   chan struct{}
	wg     sync.WaitGroup

	up, down counters // client to server, server to client

	mu       sync.Mutex
	upImp    Impairment
	downImp  Impairment
	flows    map[string]*udpFlow
	closed   bool
	closeErr error
}

type udpFlow struct {
	host *net.UDPConn
	up   *pipe
}

// NewUDPRelay relays what arrives on conn to target and back. It owns conn
// from then on. seed makes the random choices repeatable.
func NewUDPRelay(conn net.PacketConn, target string, seed uint64) (*UDPRelay, error) {
	addr, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		conn.Close()
		return nil, err
	}
	r := &UDPRelay{conn: conn, target: addr, seed: seed, done: make(chan struct{}), flows: map[string]*udpFlow{}}
	r.wg.Add(1)
	go r.readClients()
	return r, nil
}

// Addr is the relay's address in the client's namespace.
func (r *UDPRelay) Addr() net.Addr { return r.conn.LocalAddr() }

// SetImpairment changes what happens to datagrams from now on: up is
// client to server, down server to client.
func (r *UDPRelay) SetImpairment(up, down Impairment) {
	r.mu.Lock()
	r.upImp, r.downImp = up, down
	r.mu.Unlock()
}

func (r *UDPRelay) upImpairment() Impairment {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.upImp
}

func (r *UDPRelay) downImpairment() Impairment {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.downImp
}

// Up and Down are the counters of each direction, over all flows.
func (r *UDPRelay) Up() Counters   { return r.up.snapshot() }
func (r *UDPRelay) Down() Counters { return r.down.snapshot() }

// Flows is the number of client addresses seen.
func (r *UDPRelay) Flows() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.flows)
}

func (r *UDPRelay) readClients() {
	defer r.wg.Done()
	for {
		buf := make([]byte, maxDatagram)
		n, from, err := r.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		f := r.flow(from)
		if f == nil {
			return
		}
		f.up.push(buf[:n:n])
	}
}

// flow returns the flow of a client address, making it on first sight; nil
// once the relay is closed.
func (r *UDPRelay) flow(client net.Addr) *udpFlow {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	key := client.String()
	if f, ok := r.flows[key]; ok {
		return f
	}
	host, err := net.DialUDP("udp", nil, r.target)
	if err != nil {
		// Counted as dropped by the caller's push below, through a flow
		// that only ever drops: the client sees a silent path.
		return &udpFlow{up: newPipe(func() Impairment { return Impairment{Block: true} }, nil, &r.up, 0, 0, r.done)}
	}
	i := uint64(len(r.flows))
	f := &udpFlow{host: host}
	f.up = newPipe(r.upImpairment, func(b []byte) error { _, err := host.Write(b); return err },
		&r.up, r.seed, 2*i, r.done)
	down := newPipe(r.downImpairment, func(b []byte) error { _, err := r.conn.WriteTo(b, client); return err },
		&r.down, r.seed, 2*i+1, r.done)
	r.flows[key] = f
	r.wg.Add(3)
	go func() { defer r.wg.Done(); f.up.run() }()
	go func() { defer r.wg.Done(); down.run() }()
	go func() { defer r.wg.Done(); readServer(host, down) }()
	return f
}

func readServer(host *net.UDPConn, down *pipe) {
	for {
		buf := make([]byte, maxDatagram)
		n, err := host.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// ICMP port unreachable while the server is away, say.
			continue
		}
		down.push(buf[:n:n])
	}
}

// Close stops relaying and waits for every goroutine of the relay to end.
// It is safe to call more than once.
func (r *UDPRelay) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.wg.Wait()
		return r.closeErr
	}
	r.closed = true
	close(r.done)
	r.closeErr = r.conn.Close()
	for _, f := range r.flows {
		f.host.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return r.closeErr
}
