// Package netem impairs the network between a client and a server in user
// space, for tests: these machines' kernels have no netem qdisc, but they
// have network namespaces.
//
// A test puts the client (the webcall binary) in a Namespace of its own,
// whose only interface is a loopback with nothing listening on it. Then it
// opens sockets *inside* that namespace on 127.0.0.1 at the server's own
// port numbers and relays them to the real server on the host's loopback:
// a TCPForwarder for the HTTP/WebSocket port and the ICE-TCP port, a
// UDPRelay for the ICE UDP port. Inside the namespace "127.0.0.1:<port>"
// is then the server, through the test's relay, and the server's own ICE
// candidate (127.0.0.1:<udp port>) leads there too. The namespace has no
// other way out, so no candidate lets media bypass the relay; the relays'
// counters show what crossed.
//
// The UDPRelay drops, delays, jitters (which reorders) and explicitly
// reorders datagrams, or blocks them all, each direction on its own, with
// a seeded random source so that a failing run can be repeated.
//
// Goroutines, and who ends them:
//   - Namespace.Do runs its function on a goroutine locked to an OS thread
//     that it switches into the namespace and back; the goroutine ends
//     before Do returns.
//   - UDPRelay: one reader of the namespace socket (client to server), and
//     per client address one reader of its host-side socket (server to
//     client) and one scheduler per direction that delivers delayed
//     datagrams on time. Close ends them all and waits.
//   - TCPForwarder: one accept loop, and two copiers per connection.
//     Close ends them all and waits.
package netem

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// clientAddr is the client's address in its namespace, from the range
// set aside for benchmarking networks (RFC 2544), which no real network
// routes.
const clientAddr = "198.18.0.1"

// netnsDir is where `ip netns add` binds a new namespace.
const netnsDir = "/run/netns"

// Namespace is a network namespace made with ip(8), its loopback up.
type Namespace struct {
	name string
	ip   string
	fd   int
}

// NewNamespace creates a namespace named wc-<random>. It needs root (or
// CAP_SYS_ADMIN) and the ip command.
func NewNamespace() (*Namespace, error) {
	ip, err := ipCommand()
	if err != nil {
		return nil, err
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	n := &Namespace{name: "wc-" + hex.EncodeToString(b[:]), ip: ip, fd: -1}
	if err := n.run("netns", "add", n.name); err != nil {
		return nil, err
	}
	// WebRTC clients gather no loopback candidates, so the client needs
	// an address that is not loopback: one end of a veth pair whose both
	// ends stay in the namespace, so nothing reaches the host's network.
	// Packets from it to 127.0.0.1 still go over the namespace's loopback,
	// to the relays.
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "wc0", "type", "veth", "peer", "name", "wc1"},
		{"addr", "add", clientAddr + "/30", "dev", "wc0"},
		{"link", "set", "wc0", "up"},
		{"link", "set", "wc1", "up"},
	} {
		if err := n.run(append([]string{"-n", n.name}, args...)...); err != nil {
			n.Close()
			return nil, err
		}
	}
	fd, err := unix.Open(filepath.Join(netnsDir, n.name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("open network namespace %s: %w", n.name, err)
	}
	n.fd = fd
	return n, nil
}

func ipCommand() (string, error) {
	if p, err := exec.LookPath("ip"); err == nil {
		return p, nil
	}
	// Often outside an unprivileged PATH, though root may run it.
	for _, p := range []string{"/usr/sbin/ip", "/sbin/ip"} {
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("the ip command (iproute2) is needed to make network namespaces")
}

func (n *Namespace) run(args ...string) error {
	out, err := exec.Command(n.ip, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Addr is the namespace's address that is not loopback (its veth end),
// where a test can listen for what must not be on loopback.
func (n *Namespace) Addr() string { return clientAddr }

// Name is the namespace's name, as ip netns knows it.
func (n *Namespace) Name() string { return n.name }

// Command returns a command that runs name inside the namespace. ip netns
// exec execs the program, so the command's process is the program's and
// signals reach it.
func (n *Namespace) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, n.ip, append([]string{"netns", "exec", n.name, name}, args...)...)
}

// Do runs f on an OS thread switched into the namespace: sockets f
// creates belong to the namespace for good, whatever thread later uses
// them. The thread is switched back before it is released; if that fails
// it stays locked, and the runtime ends it with the goroutine.
func (n *Namespace) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open this thread's network namespace: %w", err)
			return
		}
		defer unix.Close(home)
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter network namespace %s: %w", n.name, err)
			return
		}
		ferr := f()
		if err := unix.Setns(home, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("leave network namespace %s: %w", n.name, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// Listen opens a listener inside the namespace.
func (n *Namespace) Listen(network, addr string) (net.Listener, error) {
	var l net.Listener
	err := n.Do(func() (err error) {
		l, err = net.Listen(network, addr)
		return err
	})
	return l, err
}

// ListenPacket opens a packet socket inside the namespace.
func (n *Namespace) ListenPacket(network, addr string) (net.PacketConn, error) {
	var c net.PacketConn
	err := n.Do(func() (err error) {
		c, err = net.ListenPacket(network, addr)
		return err
	})
	return c, err
}

// netnsEtc is where ip netns exec finds files to put over /etc for the
// programs it runs in a namespace.
const netnsEtc = "/etc/netns"

// MapHosts gives programs run by Command an /etc/hosts of their own, with
// localhost and each name of hosts at its address: a client can then
// reach a service by the name its certificate carries.
func (n *Namespace) MapHosts(hosts map[string]string) error {
	dir := filepath.Join(netnsEtc, n.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("127.0.0.1 localhost\n::1 localhost\n")
	for name, addr := range hosts {
		fmt.Fprintf(&b, "%s %s\n", addr, name)
	}
	return os.WriteFile(filepath.Join(dir, "hosts"), []byte(b.String()), 0o644)
}

// Close deletes the namespace. Sockets still open in it keep it alive
// until they close.
func (n *Namespace) Close() error {
	if n.fd >= 0 {
		unix.Close(n.fd)
		n.fd = -1
	}
	os.RemoveAll(filepath.Join(netnsEtc, n.name))
	return n.run("netns", "del", n.name)
}
