package sdnotify

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/sdnotify/sdnotifytest"
)

// expect checks the next datagram and that this process sent it, as
// NotifyAccess=main requires.
func expect(t *testing.T, s *sdnotifytest.Socket, want string) {
	t.Helper()
	if m := s.Expect(want, 2*time.Second); m.PID != os.Getpid() {
		t.Errorf("%q sent by pid %d, not by this process (%d): NotifyAccess=main would drop it", m.Text, m.PID, os.Getpid())
	}
}

// Every message arrives as one exact datagram from this process, on a
// socket path and on an abstract socket, with the address read from the
// environment as systemd sets it; and the environment is cleared behind.
func TestMessagesReachTheSocket(t *testing.T) {
	defer leaktest.Check(t)()
	for name, addr := range map[string]string{
		"path":     sdnotifytest.TempPath(t),
		"abstract": sdnotifytest.AbstractName(),
	} {
		t.Run(name, func(t *testing.T) {
			l := sdnotifytest.Listen(t, addr)
			t.Setenv(EnvSocket, addr)
			t.Setenv(EnvWatchdogUsec, "30000000")
			t.Setenv(EnvWatchdogPID, fmt.Sprint(os.Getpid()))
			n, err := FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{EnvSocket, EnvWatchdogUsec, EnvWatchdogPID} {
				if v, ok := os.LookupEnv(k); ok {
					t.Errorf("%s=%q is still set: a child process would inherit it", k, v)
				}
			}
			if every, ok := n.WatchdogInterval(); !ok || every != 15*time.Second {
				t.Errorf("watchdog interval %v %v, want 15s (half of WatchdogSec=30s)", every, ok)
			}
			steps := []struct {
				send func() error
				want string
			}{
				{func() error { return n.ExtendTimeout(90*time.Second + 1500*time.Nanosecond) }, "EXTEND_TIMEOUT_USEC=90000001"},
				{n.Ready, "READY=1"},
				{func() error { return n.Status("idle, 3 calls taken") }, "STATUS=idle, 3 calls taken"},
				{n.Watchdog, "WATCHDOG=1"},
				{n.Watchdog, "WATCHDOG=1"},
				{n.Stopping, "STOPPING=1"},
			}
			for _, s := range steps {
				if err := s.send(); err != nil {
					t.Fatalf("sending %q: %v", s.want, err)
				}
				expect(t, l, s.want)
			}
			if err := n.ExtendTimeout(0); err != nil {
				t.Fatal(err)
			}
			l.ExpectNothing(50 * time.Millisecond)
		})
	}
}

// A status is one line, holds no registered secret and has a bound length.
func TestStatusIsOneSafeLine(t *testing.T) {
	defer leaktest.Check(t)()
	l := sdnotifytest.Listen(t, sdnotifytest.TempPath(t))
	n, err := New(env{EnvSocket: l.Addr()}.get, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	secret := "sdnotify-test-secret-" + fmt.Sprint(time.Now().UnixNano())
	redact.Add(secret)
	long := strings.Repeat("é", 300)
	for _, c := range []struct{ in, want string }{
		{"failed\nREADY=1", "STATUS=failed READY=1"},
		{"token " + secret + " refused", "STATUS=token " + redact.Mask + " refused"},
		{long, "STATUS=" + strings.Repeat("é", 199) + "…"},
		{"", "STATUS="},
	} {
		if err := n.Status(c.in); err != nil {
			t.Fatal(err)
		}
		expect(t, l, c.want)
	}
}

type env map[string]string

func (e env) get(k string) string { return e[k] }

// The watchdog is read as sd_watchdog_enabled reads it.
func TestWatchdogFromEnvironment(t *testing.T) {
	const sock = "@webcall-sdnotify-parse"
	pid := os.Getpid()
	for _, c := range []struct {
		name    string
		env     env
		every   time.Duration // 0: off
		errText string        // "": no error
	}{
		{"valid", env{EnvSocket: sock, EnvWatchdogUsec: "30000000"}, 15 * time.Second, ""},
		{"valid, our pid", env{EnvSocket: sock, EnvWatchdogUsec: "5000000", EnvWatchdogPID: fmt.Sprint(pid)}, 2500 * time.Millisecond, ""},
		{"another process's", env{EnvSocket: sock, EnvWatchdogUsec: "30000000", EnvWatchdogPID: fmt.Sprint(pid + 1)}, 0, ""},
		{"zero", env{EnvSocket: sock, EnvWatchdogUsec: "0"}, 0, ""},
		{"unset", env{EnvSocket: sock}, 0, ""},
		{"infinity", env{EnvSocket: sock, EnvWatchdogUsec: "18446744073709551615"}, 0, ""},
		{"garbage", env{EnvSocket: sock, EnvWatchdogUsec: "30s"}, 0, `WATCHDOG_USEC="30s" is not a whole number of microseconds`},
		{"negative", env{EnvSocket: sock, EnvWatchdogUsec: "-1"}, 0, `WATCHDOG_USEC="-1"`},
		{"pid garbage", env{EnvSocket: sock, EnvWatchdogUsec: "30000000", EnvWatchdogPID: "main"}, 0, `WATCHDOG_PID="main" is not a process id`},
		{"no socket, garbage ignored", env{EnvWatchdogUsec: "soon"}, 0, ""},
		{"relative socket", env{EnvSocket: "notify.sock"}, 0, `NOTIFY_SOCKET="notify.sock" is not a unix socket address`},
		{"bare @", env{EnvSocket: "@"}, 0, `NOTIFY_SOCKET="@"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := New(c.env.get, pid)
			if c.errText != "" {
				if err == nil || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("error %v, want one containing %q", err, c.errText)
				}
				if failure.KindOf(err) != failure.Usage || failure.HintOf(err) == "" {
					t.Errorf("error %v: kind %v, hint %q; want a usage error with a hint", err, failure.KindOf(err), failure.HintOf(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			every, ok := n.WatchdogInterval()
			if ok != (c.every > 0) || every != c.every {
				t.Errorf("interval %v %v, want %v", every, ok, c.every)
			}
		})
	}
}

// Outside systemd nothing is sent and nothing fails.
func TestNoSocketIsANoOp(t *testing.T) {
	defer leaktest.Check(t)()
	n, err := New(env{EnvWatchdogUsec: "30000000"}.get, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var nilNotifier *Notifier
	for _, n := range []*Notifier{n, {}, nilNotifier} {
		for _, send := range []func() error{n.Ready, n.Watchdog, n.Stopping,
			func() error { return n.Status("x") }, func() error { return n.ExtendTimeout(time.Minute) }} {
			if err := send(); err != nil {
				t.Errorf("disabled notifier returned %v", err)
			}
		}
		if _, ok := n.WatchdogInterval(); ok || n.WatchdogDue(time.Now()) || n.Enabled() {
			t.Error("disabled notifier has a watchdog")
		}
	}
}

// A socket nobody listens on is an error the caller can log; it names
// the message's key and the socket, never the status text.
func TestSendErrorIsReturned(t *testing.T) {
	defer leaktest.Check(t)()
	addr := filepath.Join(t.TempDir(), "gone.sock")
	n, err := New(env{EnvSocket: addr}.get, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	err = n.Status("private status words")
	if err == nil {
		t.Fatal("sending to a missing socket succeeded")
	}
	if !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "STATUS") || !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q should say STATUS, the socket and that it does not exist", err)
	}
	if strings.Contains(err.Error(), "private") {
		t.Errorf("error %q carries the status text", err)
	}
}
