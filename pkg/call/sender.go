package call

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// sender moves frames from the input to the track, one every 20 ms, for
// the whole call. It is the only goroutine on the send path.
type sender struct {
	src    audio.Source
	track  FrameWriter
	rec    *audio.Recorder
	script *scriptReader
	clock  audio.Clock

	sent   atomic.Int64
	phases chan phaseAt
	done   chan struct{}
	err    error // set before done is closed
}

type phaseAt struct {
	phase phase
	at    time.Time
}

func newSender(src audio.Source, track FrameWriter, rec *audio.Recorder, script *scriptReader, clock audio.Clock) *sender {
	return &sender{
		src:    src,
		track:  track,
		rec:    rec,
		script: script,
		clock:  clock,
		// Each phase is reported once, so this never fills.
		phases: make(chan phaseAt, phaseCount),
		done:   make(chan struct{}),
	}
}

func (s *sender) frames() int64 { return s.sent.Load() }

// run sends until ctx ends or the input fails. A live input that ends
// (io.EOF) is followed by silence, so the call goes on until hung up.
func (s *sender) run(ctx context.Context) {
	defer close(s.done)
	f := audio.NewFrame()
	src := s.src
	last := phaseWaiting
	for {
		err := src.ReadFrame(ctx, f)
		if errors.Is(err, io.EOF) {
			src = audio.PacedWithClock(audio.Silence(0), s.clock)
			continue
		}
		if err != nil {
			if ctx.Err() == nil {
				s.err = err
			}
			return
		}
		// A failed write means the track is gone (the room is closing);
		// the loop learns why from the room's events.
		_ = s.track.WriteFrame(f)
		if s.rec != nil {
			s.rec.User(f)
		}
		s.sent.Add(1)
		if s.script != nil {
			if p := s.script.phase(); p != last {
				// The frame that starts a phase was just sent: its time is
				// the phase's time, accurate to the frame.
				now := s.clock.Now()
				for q := last + 1; q <= p; q++ {
					s.phases <- phaseAt{phase: q, at: now}
				}
				last = p
			}
		}
	}
}

// wait returns once the sender has ended: after its context was cancelled,
// or by itself when its input failed.
func (s *sender) wait() { <-s.done }
