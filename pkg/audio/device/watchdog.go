//go:build !noportaudio

package device

import (
	"time"
)

// The watchdog: how long each direction has gone without audio moving,
// and what that means. A working stream moves a period every 10 ms, but a
// PulseAudio null sink holds a new stream's audio back for up to 2 s (and
// again after each underrun), so a direction may be quiet for 2 s and be
// fine. After StallTimeout of quiet its stream is restarted (by the
// stream's own goroutine, restartIfStalled); after LostTimeout the device
// counts as lost and the caller's ReadFrame or Write fails.
//
// The times are nanoseconds since d.started, plus one, so that 0 means
// "never": lastIn and lastOut are when audio last moved, lastRestart when
// a restart last began.

// now returns the time since the device started, in the watchdog's units.
func (d *Device) now() int64 { return int64(time.Since(d.started)) + 1 }

// since returns how long ago a watchdog time was (0: since the start).
func (d *Device) since(t int64) time.Duration {
	elapsed := time.Since(d.started)
	if t == 0 {
		return elapsed
	}
	return elapsed - time.Duration(t-1)
}

// silence returns how long direction dir has gone without audio (since
// the start when it has had none), and the device's name there.
func (d *Device) silence(dir Direction) (time.Duration, string) {
	if dir == Input {
		return d.since(d.lastIn.Load()), d.inInfo.Name
	}
	return d.since(d.lastOut.Load()), d.outInfo.Name
}

// check returns a failure.Device error when direction dir has had no
// audio for LostTimeout.
func (d *Device) check(dir Direction) error {
	if silent, name := d.silence(dir); silent > LostTimeout {
		return lostError(dir, name, silent)
	}
	return nil
}

// stalled reports whether a stream carrying the given directions is due a
// restart: one of them has been quiet for StallTimeout, and the last
// restart (of any stream of d) was at least StallTimeout ago. It marks the
// restart as begun.
func (d *Device) stalled(in, out bool) (Direction, time.Duration, bool) {
	if r := d.lastRestart.Load(); r != 0 && d.since(r) < StallTimeout {
		return 0, 0, false
	}
	for _, dir := range []Direction{Input, Output} {
		if (dir == Input && !in) || (dir == Output && !out) {
			continue
		}
		if silent, _ := d.silence(dir); silent >= StallTimeout {
			d.lastRestart.Store(d.now())
			return dir, silent, true
		}
	}
	return 0, 0, false
}

// restartDone counts and reports a restart.
func (d *Device) restartDone(dir Direction, silent time.Duration, err error) {
	n := d.restarts.Add(1)
	d.log.Debug("audio stream restarted: no audio had moved", "direction", dir.String(),
		"silent_for", silent.Round(time.Millisecond), "restarts", n, "err", err)
	if d.restarted != nil && !d.closing.Load() {
		d.restarted(silent, err)
	}
}

// noteError logs a failed read, write or query of a stream, once per
// LostTimeout and direction: a server that went away fails every call, a
// hundred times a second, until the watchdog ends the call.
func (d *Device) noteError(dir Direction, err error) {
	last := &d.lastInErr
	if dir == Output {
		last = &d.lastOutErr
	}
	if t := last.Load(); t != 0 && d.since(t) < LostTimeout {
		return
	}
	last.Store(d.now())
	d.log.Debug("audio stream call failed", "direction", dir.String(), "err", err)
}

// xrun notes an underrun or overflow that a read or write reported (err
// is nil, or what isXrun accepts). It breaks the echo canceller's pairing,
// which starts again, and moves the echo by an unknown amount, so the
// canceller starts learning again too (Capture.take).
func (d *Device) xrun(err error) {
	if err == nil {
		return
	}
	n := d.xruns.Add(1)
	d.log.Debug("audio stream xrun: the echo canceller starts over", "err", err, "xruns", n)
	if d.ref != nil {
		d.ref.resync()
	}
}
