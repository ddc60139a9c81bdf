package call

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// sender moves frames from the input to the track, one every 20 ms, for
// the whole call. It is the only goroutine on the send path. For a
// scripted call it also tells the loop when each turn's clip began, when
// its first voiced frame went out, and when the clip was over.
type sender struct {
	src audio.Source
	// track is where frames go; nil while the call has no room (between
	// a lost room and a rejoin), when frames are dropped, not queued:
	// late audio would only confuse the agent. The recorder still gets
	// them, which keeps the recording on the call's timeline.
	track atomic.Pointer[trackBox]
	// writeMu is held over each frame's check of track and its write, and
	// by setTrack: once setTrack returns, no frame is still on its way to
	// the track it replaced (the room may be closed right after).
	writeMu sync.Mutex
	rec     *audio.Recorder
	script  *scriptReader
	clock   audio.Clock

	sent atomic.Int64
	// lastVoiced is when the last voiced frame of any input went out
	// (Unix nanoseconds; 0 for never): the loop asks it whether the user
	// was talking when the agent stopped.
	lastVoiced atomic.Int64
	marks      chan clipMark
	done       chan struct{}
	err        error // set before done is closed
	// firstSent is when the first frame went out: the first sample of a
	// recording. Set by run before done is closed; zero if none went out.
	firstSent time.Time
}

// trackBox holds a FrameWriter for atomic.Pointer.
type trackBox struct{ w FrameWriter }

// setTrack makes w the track from the next frame on; nil drops frames.
func (s *sender) setTrack(w FrameWriter) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if w == nil {
		s.track.Store(nil)
		return
	}
	s.track.Store(&trackBox{w})
}

// clipMark is a moment in the sending of one turn's clip.
type clipMark struct {
	kind markKind
	turn int
	// gen is the clip's playing (scriptReader.play): a mark of a clip
	// cut short and played again is not taken for the new one's.
	gen int
	at  time.Time // when the frame that made the mark was sent
	// For markEnd: the clip's first and last voiced frames, if any.
	firstVoiced, lastVoiced time.Time
}

type markKind int

const (
	markStart  markKind = iota // the clip's first frame went out
	markVoiced                 // its first voiced frame went out
	markEnd                    // its last frame went out
)

// marksQueue holds the marks the loop has not taken yet: three per turn,
// and a turn starts only after the loop has seen the previous one end.
const marksQueue = 8

func newSender(src audio.Source, track FrameWriter, rec *audio.Recorder, script *scriptReader, clock audio.Clock) *sender {
	s := &sender{
		src:    src,
		rec:    rec,
		script: script,
		clock:  clock,
		marks:  make(chan clipMark, marksQueue),
		done:   make(chan struct{}),
	}
	if track != nil {
		s.setTrack(track)
	}
	return s
}

func (s *sender) frames() int64 { return s.sent.Load() }

// userVoicedAt is when the user's last voiced frame went out; zero for
// never.
func (s *sender) userVoicedAt() time.Time {
	if ns := s.lastVoiced.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// voiced is the speech test for the user's frames: the same threshold as
// the agent's audio is judged by, and as the test agent's voice activity
// detector, so "end of speech" means the same on both sides.
func voiced(f audio.Frame) bool {
	return audio.DBFS(audio.RMS(f)) > audio.SpeechThresholdDBFS
}

// run sends until ctx ends or the input fails. A live input that ends
// (io.EOF) is followed by silence, so the call goes on until hung up.
func (s *sender) run(ctx context.Context) {
	defer close(s.done)
	f := audio.NewFrame()
	src := s.src
	var firstVoiced, lastVoiced time.Time
	for {
		// A frame goes to the track that was current both before and after
		// it was read: one read while the call had no room belongs to no
		// room, and must not reach the one joined meanwhile (the rest of a
		// clip the outage cut), nor one left meanwhile.
		t := s.track.Load()
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
		s.writeMu.Lock()
		if t != nil && s.track.Load() == t {
			_ = t.w.WriteFrame(f)
		}
		s.writeMu.Unlock()
		if s.rec != nil {
			s.rec.User(f)
		}
		isVoiced := voiced(f)
		// The frame just went out: its time is the mark's, to the frame.
		now := s.clock.Now()
		if s.sent.Add(1) == 1 {
			s.firstSent = now
		}
		if isVoiced {
			s.lastVoiced.Store(now.UnixNano())
		}
		if s.script == nil {
			continue
		}
		c := s.script.last()
		if !c.inClip {
			continue
		}
		if c.first {
			firstVoiced, lastVoiced = time.Time{}, time.Time{}
			if !s.mark(ctx, clipMark{kind: markStart, turn: c.turn, gen: c.gen, at: now}) {
				return
			}
		}
		if isVoiced {
			if firstVoiced.IsZero() {
				firstVoiced = now
				if !s.mark(ctx, clipMark{kind: markVoiced, turn: c.turn, gen: c.gen, at: now}) {
					return
				}
			}
			lastVoiced = now
		}
		if c.last {
			if !s.mark(ctx, clipMark{kind: markEnd, turn: c.turn, gen: c.gen, at: now, firstVoiced: firstVoiced, lastVoiced: lastVoiced}) {
				return
			}
		}
	}
}

// mark hands m to the loop; false when the call is being hung up.
func (s *sender) mark(ctx context.Context, m clipMark) bool {
	select {
	case s.marks <- m:
		return true
	case <-ctx.Done():
		return false
	}
}

// wait returns once the sender has ended: after its context was cancelled,
// or by itself when its input failed.
func (s *sender) wait() { <-s.done }
