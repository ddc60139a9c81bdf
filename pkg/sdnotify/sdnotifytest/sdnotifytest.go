// Package sdnotifytest is systemd's end of the notify socket, for tests:
// a real unixgram socket that receives what a Notifier (or a whole
// webcall kiosk process started with NOTIFY_SOCKET set to Addr) sends,
// with the sender's pid as the kernel reports it (SO_PASSCRED), which is
// what systemd checks for NotifyAccess=main.
//
//	s := sdnotifytest.Listen(t, sdnotifytest.TempPath(t))
//	cmd.Env = append(cmd.Env, s.Env()...)
//	... start the kiosk ...
//	m := s.WaitFor("READY=1", 20*time.Second)
//	if m.PID != cmd.Process.Pid { ... }
//
// It starts no goroutines: messages are read when the test asks. The
// socket is closed when the test ends.
package sdnotifytest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Message is one datagram and the process that sent it.
type Message struct {
	Text string
	PID  int
}

// Socket is a listening notify socket.
type Socket struct {
	t    testing.TB
	addr string
	conn *net.UnixConn
}

// TempPath is a socket path in the test's temporary directory.
func TempPath(t testing.TB) string { return filepath.Join(t.TempDir(), "notify.sock") }

var names atomic.Int64

// AbstractName is a fresh abstract socket name ("@..."), unique in this
// network namespace for this process.
func AbstractName() string {
	return fmt.Sprintf("@webcall-sdnotifytest-%d-%d", os.Getpid(), names.Add(1))
}

// Listen listens on addr, a path or an "@name" abstract socket, until the
// test ends.
func Listen(t testing.TB, addr string) *Socket {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen on the notify socket %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	raw, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1)
	}); err != nil || serr != nil {
		t.Fatalf("ask for the senders' credentials: %v %v", err, serr)
	}
	return &Socket{t: t, addr: addr, conn: conn}
}

// Addr is the socket's address as NOTIFY_SOCKET gives it.
func (s *Socket) Addr() string { return s.addr }

// Env is the environment that points a process at the socket.
func (s *Socket) Env() []string { return []string{"NOTIFY_SOCKET=" + s.addr} }

// Next returns the next datagram, waiting at most wait for it.
func (s *Socket) Next(wait time.Duration) (Message, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(syscall.SizeofUcred))
	if err := s.conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return Message{}, err
	}
	n, oobn, _, _, err := s.conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return Message{}, err
	}
	cmsgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(cmsgs) != 1 {
		return Message{}, fmt.Errorf("control messages %v: %v", cmsgs, err)
	}
	cred, err := syscall.ParseUnixCredentials(&cmsgs[0])
	if err != nil {
		return Message{}, err
	}
	return Message{Text: string(buf[:n]), PID: int(cred.Pid)}, nil
}

// Expect fails the test unless the next datagram, within wait, is want.
func (s *Socket) Expect(want string, wait time.Duration) Message {
	s.t.Helper()
	m, err := s.Next(wait)
	if err != nil {
		s.t.Fatalf("waiting for %q on the notify socket: %v", want, err)
	}
	if m.Text != want {
		s.t.Errorf("notify datagram %q, want %q", m.Text, want)
	}
	return m
}

// ExpectNothing fails the test if a datagram comes within wait.
func (s *Socket) ExpectNothing(wait time.Duration) {
	s.t.Helper()
	if m, err := s.Next(wait); err == nil {
		s.t.Errorf("unexpected notify datagram %q from pid %d", m.Text, m.PID)
	}
}

// WaitFor skips datagrams (STATUS= lines, pings) until one is want, and
// fails the test if none is within wait.
func (s *Socket) WaitFor(want string, wait time.Duration) Message {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	var seen []string
	for {
		m, err := s.Next(time.Until(deadline))
		if err != nil {
			s.t.Fatalf("no %q on the notify socket within %v (got %q): %v", want, wait, seen, err)
		}
		if m.Text == want {
			return m
		}
		seen = append(seen, m.Text)
	}
}
