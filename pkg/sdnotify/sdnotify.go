// Package sdnotify tells systemd how a service is doing, the way
// sd_notify(3) does: one datagram of newline-separated KEY=VALUE lines to
// the unix socket named by NOTIFY_SOCKET. The protocol is a few lines, so
// it is written here rather than taken from a module.
//
// A kiosk under a Type=notify unit sends READY=1 once its devices are
// open (systemd holds back units ordered after it until then),
// EXTEND_TIMEOUT_USEC= while it still waits for them, STATUS= for
// `systemctl status`, WATCHDOG=1 from its main loop, and STOPPING=1 when
// it shuts down. Outside systemd (no NOTIFY_SOCKET) every method is a
// no-op that returns nil, so callers never need to ask where they run.
//
// The watchdog: systemd restarts a service (WatchdogSec=) that does not
// send WATCHDOG=1 within the interval. The pings must come from the
// kiosk's main loop itself, not from a ticker goroutine of their own: a
// goroutine would go on pinging while the loop is stuck, and the point is
// that a stuck loop stops the pings and systemd restarts the kiosk. The
// loop wakes at least every WatchdogInterval (a time.Ticker's channel in
// its select is no goroutine, and a stuck loop stops reading it) and, on
// every wake-up, whatever woke it:
//
//	if n.WatchdogDue(now) {
//		if err := n.Watchdog(); err != nil { log it, once }
//	}
//
// Messages never contain a credential: the fixed ones are constants, and
// STATUS= text is passed through pkg/redact and kept to one line, since
// any local user can read it with `systemctl status`.
//
// Errors sending are returned so the caller can log them, once, and go
// on: a lost notification must never stop a call. (If systemd really
// stops hearing the watchdog it restarts the service, which is the point.)
//
// The package starts no goroutines. A Notifier is safe for concurrent use.
package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
)

// The environment systemd sets for a service that may notify it.
const (
	EnvSocket       = "NOTIFY_SOCKET"
	EnvWatchdogUsec = "WATCHDOG_USEC"
	EnvWatchdogPID  = "WATCHDOG_PID"
)

const (
	// sendTimeout bounds a send to a systemd that does not read its
	// socket: the caller's loop must go on (and then misses a ping, which
	// is the truth).
	sendTimeout = time.Second
	// maxStatusRunes keeps STATUS= to what `systemctl status` shows on
	// one line, whatever text an error brings.
	maxStatusRunes   = 200
	statusTruncation = "…"
)

// Notifier sends notifications to systemd. The zero value and a nil
// *Notifier are both disabled: every method does nothing.
type Notifier struct {
	// socket is NOTIFY_SOCKET as given: a path, or "@name" for an
	// abstract socket (Go's net package maps the "@" to the leading NUL).
	socket string
	// watchdog is WATCHDOG_USEC, zero when the watchdog is off or not ours.
	watchdog time.Duration

	mu       sync.Mutex
	lastPing time.Time
}

// New reads the notification socket and the watchdog from getenv, for
// the process pid. With NOTIFY_SOCKET unset or empty it returns a disabled
// Notifier (and ignores the watchdog variables, which mean nothing
// without a socket to ping). It refuses a socket address systemd would
// never give (neither an absolute path nor "@name") and a WATCHDOG_USEC
// or WATCHDOG_PID that is not a number, since either means the
// environment was set by hand, wrongly.
func New(getenv func(string) string, pid int) (*Notifier, error) {
	socket := getenv(EnvSocket)
	if socket == "" {
		return &Notifier{}, nil
	}
	if !strings.HasPrefix(socket, "/") && !(strings.HasPrefix(socket, "@") && len(socket) > 1) {
		return nil, failure.Newf(failure.Usage, "%s=%q is not a unix socket address", EnvSocket, socket).
			WithHint("systemd sets it to an absolute path or to @name for an abstract socket; unset it to run without systemd")
	}
	wd, err := watchdogFor(getenv(EnvWatchdogUsec), getenv(EnvWatchdogPID), pid)
	if err != nil {
		return nil, err
	}
	return &Notifier{socket: socket, watchdog: wd}, nil
}

// FromEnv is New for this process, from its environment, followed by
// UnsetEnv. The variables are removed even when they are refused.
func FromEnv() (*Notifier, error) {
	n, err := New(os.Getenv, os.Getpid())
	UnsetEnv()
	return n, err
}

// UnsetEnv removes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the
// process environment, as sd_notify's unset_environment does: a process
// the kiosk starts (a button's script, another webcall in a test) would
// otherwise inherit them, and could send READY=1 or pings in the kiosk's
// name, or keep a hung kiosk alive under NotifyAccess=all. A Notifier
// keeps what it read. A command that reads its environment through an
// injected getenv calls New with it, then this.
func UnsetEnv() {
	for _, k := range []string{EnvSocket, EnvWatchdogUsec, EnvWatchdogPID} {
		os.Unsetenv(k) // only fails for an invalid name, and these are valid
	}
}

// Enabled reports whether notifications go anywhere.
func (n *Notifier) Enabled() bool { return n != nil && n.socket != "" }

// Ready tells systemd the service is up: READY=1.
func (n *Notifier) Ready() error { return n.send("READY=1") }

// Stopping tells systemd the service is shutting down: STOPPING=1.
func (n *Notifier) Stopping() error { return n.send("STOPPING=1") }

// Watchdog pings the watchdog: WATCHDOG=1. It is sent even when the
// watchdog is off, as sd_notify does; systemd ignores it then.
func (n *Notifier) Watchdog() error { return n.send("WATCHDOG=1") }

// ExtendTimeout asks systemd for d more time to finish starting (or
// stopping) from now: EXTEND_TIMEOUT_USEC. The watchdog only runs from
// READY=1 on, so a kiosk still waiting for its devices at boot sends this
// from its loop on each wake-up instead: while the loop is alive the start
// never times out (it would be killed and restarted, again and again,
// until the device is plugged in), and a hung loop still does. d is
// rounded down to whole microseconds; zero or less is not sent.
func (n *Notifier) ExtendTimeout(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	return n.send(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", d.Microseconds()))
}

// Status sets the one-line status `systemctl status` shows: STATUS=text.
// Line breaks become spaces (a line break would start another KEY=VALUE
// assignment), registered secrets are masked, and the text is cut to 200
// characters.
func (n *Notifier) Status(text string) error {
	return n.send("STATUS=" + statusLine(text))
}

func statusLine(text string) string {
	text = redact.String(text)
	text = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == 0 {
			return ' '
		}
		return r
	}, text)
	if r := []rune(text); len(r) > maxStatusRunes {
		text = string(r[:maxStatusRunes-1]) + statusTruncation
	}
	return text
}

// send writes one datagram. It dials for every message rather than
// keeping a connected socket: systemd re-creates its socket when it
// re-executes (daemon-reexec), and a socket connected to the old one
// would fail from then on. A write that cannot complete within a second
// (systemd not reading) is given up, so the caller's loop never hangs on
// a notification.
func (n *Notifier) send(msg string) error {
	if !n.Enabled() {
		return nil
	}
	addr := &net.UnixAddr{Name: n.socket, Net: "unixgram"}
	conn, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return n.sendErr(msg, err)
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(time.Now().Add(sendTimeout)); err != nil {
		return n.sendErr(msg, err)
	}
	if _, err := conn.Write([]byte(msg)); err != nil {
		return n.sendErr(msg, err)
	}
	return nil
}

// sendErr names the message by its key only, so a status text stays out
// of logs; err names the socket.
func (n *Notifier) sendErr(msg string, err error) error {
	key, _, _ := strings.Cut(msg, "=")
	return fmt.Errorf("notify systemd (%s): %w", key, err)
}
