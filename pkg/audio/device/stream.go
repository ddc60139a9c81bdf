//go:build !noportaudio

package device

import (
	"errors"
	"time"

	"github.com/gordonklaus/portaudio"
)

// stream is one PortAudio stream and the goroutine that moves its audio
// (run). Once Open has started it, every call on the PortAudio stream is
// made by that goroutine: reading and writing, restarting it when it
// stalls, and stopping and closing it when the device is closed. Nothing
// else touches it, so PortAudio's stream calls need no lock of their own.
//
// The goroutine never blocks inside PortAudio. It reads a period when a
// period of the microphone is there and writes one when the speaker has
// room for it, and otherwise sleeps until one of them is due. Two reasons
// it does not use PortAudio's blocking reads and writes:
//   - A blocking call returns only when the sound server answers: a
//     PulseAudio that hangs holds it (8 s seen, for as long as it hung), and
//     the goroutine could then neither stop nor restart its stream.
//   - Read then write, in turn, ties the microphone to the speaker: a
//     PulseAudio null sink holds a stream's audio back for up to 2 s when it
//     starts or recovers from an underrun, and a loop blocked writing to the
//     speaker meanwhile loses the user's words. Apart, the microphone keeps
//     flowing while the speaker waits.
//
// Echo cancellation still gets each captured period paired with what the
// speaker played at the time it was captured (reference.go).
type stream struct {
	d       *Device
	params  paParams
	pa      *portaudio.Stream // nil after a restart that could not open it
	in, out []int16           // the period buffers the module reads into and writes from
	// inPace and outPace check that the directions move audio no
	// faster than real time (pace.go); a restart starts them over.
	inPace, outPace pace

	quit chan struct{} // closed by stop
	done chan struct{} // closed when run returns
}

// openStream opens a stream of p for d. Call with paMu held.
func openStream(d *Device, p paParams) (*stream, error) {
	in, out := p.buffers()
	pa, err := paOpen(p, in, out)
	if err != nil {
		return nil, err
	}
	return &stream{d: d, params: p, pa: pa, in: in, out: out,
		inPace: newPace(p.rate), outPace: newPace(p.rate),
		quit: make(chan struct{}), done: make(chan struct{})}, nil
}

// minWait bounds how short the goroutine sleeps: a period is 10 ms, and
// waking more often than every millisecond would only cost CPU.
const minWait = time.Millisecond

// run moves audio until stop, then stops and closes the PortAudio stream.
func (s *stream) run() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-s.quit:
			s.finish()
			return
		default:
		}
		wait, moved := s.step()
		if moved {
			continue // more may be ready already
		}
		s.restartIfStalled()
		timer.Reset(wait)
		select {
		case <-s.quit:
			timer.Stop()
			s.finish()
			return
		case <-timer.C:
		}
	}
}

// step reads a period from the microphone if one is there, and writes one
// to the speaker if it has room. It reports whether it moved audio, and
// otherwise how long until a period is due. A direction that has run
// ahead of real time (pace.go) is left alone until a restart.
func (s *stream) step() (wait time.Duration, moved bool) {
	if s.pa == nil || s.d.stuck.Load() {
		return blockDuration, false
	}
	wait = blockDuration
	frames := s.params.frames
	due := func(have int) {
		if left := time.Duration(frames-have) * time.Second / time.Duration(s.params.rate); left < wait {
			wait = max(left, minWait)
		}
	}
	if s.in != nil && !s.inPace.ahead {
		if n, err := s.pa.AvailableToRead(); err != nil {
			s.d.noteError(Input, err)
		} else if n < frames {
			due(n)
		} else if err := s.pa.Read(); err != nil && !isXrun(err) {
			s.d.noteError(Input, err)
		} else if s.paced(&s.inPace, Input) {
			s.d.xrun(err)
			s.d.deliver(s.in)
			moved = true
		}
	}
	if s.out != nil && !s.outPace.ahead {
		if n, err := s.pa.AvailableToWrite(); err != nil {
			s.d.noteError(Output, err)
		} else if n < frames {
			due(n)
		} else {
			// The speaker is written even if the write fails: what was
			// taken from the jitter buffer is gone either way.
			s.d.render(s.out)
			if err := s.pa.Write(); err != nil && !isXrun(err) {
				s.d.noteError(Output, err)
			} else if s.paced(&s.outPace, Output) {
				s.d.xrun(err)
				s.d.lastOut.Store(s.d.now())
				moved = true
			}
		}
	}
	return wait, moved
}

// paced counts a period moved in direction dir against p, and reports
// whether it was within real time; the first that was not is logged.
func (s *stream) paced(p *pace, dir Direction) bool {
	if p.move(s.d.now(), s.params.frames) {
		return true
	}
	s.d.log.Debug("audio stream moves audio faster than real time: no device is playing or recording it; left to the watchdog",
		"direction", dir.String(), "frames", p.frames, "window", s.d.since(p.start).Round(time.Millisecond))
	return false
}

// restartIfStalled closes the stream and opens and starts it again when a
// direction it carries has had no audio for StallTimeout, at most once a
// StallTimeout. It opens a new stream rather than starting the old one
// again because PortAudio's start can wait forever on a PulseAudio server
// that has gone away, while an open fails at once: a device that is gone
// stays gone, and LostTimeout ends the call.
func (s *stream) restartIfStalled() {
	d := s.d
	dir, silent, ok := d.stalled(s.params.in != nil, s.params.out != nil)
	if !ok {
		return
	}
	paMu.Lock()
	var err error
	if s.pa != nil {
		_ = s.pa.Abort()
		_ = s.pa.Close()
		s.pa = nil
	}
	if pa, openErr := paOpen(s.params, s.in, s.out); openErr != nil {
		err = openErr
	} else if startErr := pa.Start(); startErr != nil {
		_ = pa.Close()
		err = startErr
	} else {
		s.pa = pa
	}
	paMu.Unlock()
	s.inPace, s.outPace = newPace(s.params.rate), newPace(s.params.rate)
	d.stuck.Store(false)
	d.restartDone(dir, silent, err)
}

// finish stops and closes the PortAudio stream, on run's goroutine. Stop
// lets the speaker play what it holds; a lost device has nothing to play
// and may not answer, so it is aborted.
func (s *stream) finish() {
	resyncs := 0
	if s.d.ref != nil {
		resyncs = s.d.ref.resyncs
	}
	s.d.log.Debug("audio stream done", "xruns", s.d.xruns.Load(), "echo_reference_resyncs", resyncs, "restarts", s.d.restarts.Load())
	if s.pa == nil {
		return
	}
	lost := (s.in != nil && s.d.check(Input) != nil) || (s.out != nil && s.d.check(Output) != nil)
	paMu.Lock()
	defer paMu.Unlock()
	var errs []error
	if lost || s.pa.Stop() != nil {
		_ = s.pa.Abort()
	}
	if err := s.pa.Close(); err != nil && !lost {
		errs = append(errs, err)
	}
	s.pa = nil
	s.d.setCloseErr(errors.Join(errs...))
}

// stop ends run and waits for it to have closed the stream.
func (s *stream) stop() {
	close(s.quit)
	<-s.done
}

// latency returns the stream's input and output latencies as PortAudio
// reports them.
func (s *stream) latency() (in, out time.Duration) { return latencies(s.pa) }
