package sdnotifytest

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

func send(t *testing.T, addr string, msgs ...string) {
	t.Helper()
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, m := range msgs {
		if _, err := conn.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
}

// WaitFor passes over other datagrams to the one asked for, and says who
// sent it.
func TestWaitFor(t *testing.T) {
	defer leaktest.Check(t)()
	for _, addr := range []string{TempPath(t), AbstractName()} {
		s := Listen(t, addr)
		if s.Addr() != addr || s.Env()[0] != "NOTIFY_SOCKET="+addr {
			t.Errorf("addr %q env %q", s.Addr(), s.Env())
		}
		send(t, addr, "STATUS=starting", "WATCHDOG=1", "READY=1", "STOPPING=1")
		if m := s.WaitFor("READY=1", time.Second); m.Text != "READY=1" || m.PID != os.Getpid() {
			t.Errorf("message %+v", m)
		}
		s.Expect("STOPPING=1", time.Second)
		s.ExpectNothing(20 * time.Millisecond)
		if _, err := s.Next(10 * time.Millisecond); err == nil {
			t.Error("Next returned a message nobody sent")
		}
	}
	if AbstractName() == AbstractName() {
		t.Error("abstract names repeat")
	}
}
