//go:build !noportaudio

package device

import "time"

// A pace checks that one direction of a stream moves audio no faster than
// real time. A device that plays or records moves its rate's worth of
// frames a second, give or take what its small buffer takes in at the
// start. One that "moves" more is not moving audio at all. About 1 call in
// 50 on a busy machine ran on for good after its PulseAudio server was
// killed: its goroutines, dumped 15 s later, showed the stream still
// writing to the speaker and no restart ever begun, so PortAudio's calls
// had kept returning as if audio moved, and the watchdog, which asks only
// whether audio moved, never saw the device go. Such a direction counts as
// ahead of its clock: it moves nothing more until the watchdog restarts
// its stream, which on a vanished server fails and ends the call after
// LostTimeout.
//
// It counts in windows of paceWindow, so that a device clock a little
// faster than the machine's (sound cards drift by up to about 0.1 %) adds
// up to milliseconds, not to the slack, over the weeks a kiosk runs.
type pace struct {
	rate   float64 // frames a second
	start  int64   // when the window began, in watchdog units (Device.now); 0 before the first move
	frames int64   // frames moved since start
	ahead  bool    // moved more than the clock allows; only a new pace clears it
}

const (
	// paceSlack is how far ahead of real time a direction may get: far
	// more than the stream's buffers (tens of milliseconds) and a burst
	// after a stall can account for, and far less than a spinning stream
	// gets ahead in a fraction of a second.
	paceSlack = time.Second
	// paceWindow is how long frames are counted before the count starts
	// over.
	paceWindow = time.Minute
)

func newPace(rate float64) pace { return pace{rate: rate} }

// move counts n frames moved at now and reports whether the direction is
// still within its clock.
func (p *pace) move(now int64, n int) bool {
	if p.ahead {
		return false
	}
	if p.start == 0 || time.Duration(now-p.start) >= paceWindow {
		p.start, p.frames = now, 0
	}
	p.frames += int64(n)
	allowed := (time.Duration(now-p.start) + paceSlack).Seconds() * p.rate
	if float64(p.frames) > allowed {
		p.ahead = true
	}
	return !p.ahead
}
