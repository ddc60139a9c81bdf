package sdnotify

import (
	"strconv"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// watchdogFor parses WATCHDOG_USEC and WATCHDOG_PID as sd_watchdog_enabled
// does: the watchdog is on when usec is a positive number and pidText is
// unset or names pid (systemd sets WATCHDOG_PID so a child that inherited
// the variables does not take the parent's watchdog for its own). Zero or
// unset usec means off.
func watchdogFor(usecText, pidText string, pid int) (time.Duration, error) {
	if usecText == "" {
		return 0, nil
	}
	usec, err := strconv.ParseUint(usecText, 10, 64)
	if err != nil {
		return 0, failure.Newf(failure.Usage, "%s=%q is not a whole number of microseconds", EnvWatchdogUsec, usecText).
			WithHint("systemd sets it from WatchdogSec=; unset it to run without the watchdog")
	}
	// Beyond this the Duration would overflow; systemd's own limit
	// (USEC_INFINITY) means "no watchdog" too.
	if usec == 0 || usec > uint64(maxWatchdog/time.Microsecond) {
		return 0, nil
	}
	if pidText != "" {
		wpid, err := strconv.Atoi(pidText)
		if err != nil || wpid <= 0 {
			return 0, failure.Newf(failure.Usage, "%s=%q is not a process id", EnvWatchdogPID, pidText).
				WithHint("systemd sets it to the service's main process; unset it to run without the watchdog")
		}
		if wpid != pid {
			return 0, nil
		}
	}
	return time.Duration(usec) * time.Microsecond, nil
}

// maxWatchdog bounds a watchdog timeout to what a Duration holds with
// room to spare; systemd's "infinity" is far beyond it.
const maxWatchdog = 100 * 365 * 24 * time.Hour

// WatchdogInterval is how often to ping: half of WATCHDOG_USEC, as
// sd_watchdog_enabled(3) advises, so that one late wake-up does not cost a
// restart. ok is false when the watchdog is off, not ours, or there is no
// socket.
func (n *Notifier) WatchdogInterval() (every time.Duration, ok bool) {
	if !n.Enabled() || n.watchdog <= 0 {
		return 0, false
	}
	return n.watchdog / 2, true
}

// WatchdogDue reports whether a ping is due at now: the watchdog is on
// and half of WatchdogInterval has passed since the last time WatchdogDue
// said yes (the first call says yes). A yes counts as the ping being sent
// at now, so the caller sends it at once with Watchdog.
//
// Half, not all of it: a loop that ticks every WatchdogInterval wakes a
// little late now and then, and a tick that came a millisecond "early"
// after a late one must still ping, or the next ping would come a whole
// timeout after the last. Wake-ups between ticks ping at most every
// quarter of the timeout. A now before the last ping (a wall clock set
// back) pings too. now comes from the caller so that a loop on an
// injected clock is tested without waiting.
func (n *Notifier) WatchdogDue(now time.Time) bool {
	every, ok := n.WatchdogInterval()
	if !ok {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if since := now.Sub(n.lastPing); !n.lastPing.IsZero() && since >= 0 && since < every/2 {
		return false
	}
	n.lastPing = now
	return true
}
