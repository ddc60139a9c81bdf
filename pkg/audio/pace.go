package audio

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by a source or writer used after its Close.
var ErrClosed = errors.New("audio: use after close")

// MaxPaceLag is how far behind schedule a paced source may fall before it
// gives up catching up. Within it, late frames go out at once, so a short
// hiccup costs no audio time; beyond it (the process was stopped, the
// machine swapped), sending the backlog would burst seconds of audio into
// the far side's jitter buffer, which drops or garbles it, so the schedule
// moves forward instead and the audio simply continues late.
const MaxPaceLag = 3 * FrameDuration

// PaceStats says how a paced source kept time.
type PaceStats struct {
	// Frames is the number of frames delivered.
	Frames int64
	// Stalls is how often the source fell more than MaxPaceLag behind
	// and moved its schedule forward.
	Stalls int64
	// Skipped is the schedule time given up in those stalls.
	Skipped time.Duration
}

// PacedSource is the Source Paced returns: it delivers frame n of a Reader
// at start + n*FrameDuration, where start is the first ReadFrame call. Each
// due time is computed from start, never from the previous wake-up, so timer
// jitter does not accumulate into drift. ReadFrame is for one goroutine (the
// sender); Close and Stats may be called from any.
type PacedSource struct {
	r     Reader
	clock Clock
	timer Timer // created on the first wait, then reset: no allocation per frame

	started bool
	start   time.Time
	n       int64 // frames scheduled

	closed    chan struct{}
	closeOnce sync.Once

	frames, stalls, skipped atomic.Int64
	late                    Lateness
}

// Paced makes r a real-time Source on the system clock; the returned Source
// is a *PacedSource (for its Stats). Closing it does not close anything r
// holds.
func Paced(r Reader) Source { return PacedWithClock(r, SystemClock) }

// PacedWithClock is Paced on the given clock.
func PacedWithClock(r Reader, clock Clock) *PacedSource {
	return &PacedSource{r: r, clock: clock, closed: make(chan struct{})}
}

// ReadFrame fills f with the next frame of the Reader and returns when that
// frame is due. It returns the Reader's io.EOF at once, ctx.Err() when ctx
// ends, and ErrClosed once Close has been called (also during a wait).
func (p *PacedSource) ReadFrame(ctx context.Context, f Frame) error {
	select {
	case <-p.closed:
		return ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Read first: a Reader never waits, and its end should not.
	if err := p.r.ReadFrame(f); err != nil {
		return err
	}
	now := p.clock.Now()
	if !p.started {
		p.started, p.start = true, now
	}
	due := p.start.Add(time.Duration(p.n) * FrameDuration)
	if late := now.Sub(due); late > MaxPaceLag {
		p.start = p.start.Add(late)
		due = now
		p.stalls.Add(1)
		p.skipped.Add(int64(late))
	}
	p.n++
	if wait := due.Sub(now); wait > 0 {
		if p.timer == nil {
			p.timer = p.clock.NewTimer(wait)
		} else {
			p.timer.Reset(wait)
		}
		select {
		case <-p.timer.C():
		case <-ctx.Done():
			p.timer.Stop()
			return ctx.Err()
		case <-p.closed:
			p.timer.Stop()
			return ErrClosed
		}
	}
	p.frames.Add(1)
	p.late.Add(p.clock.Now().Sub(due))
	return nil
}

// Lateness is how late the frames delivered so far were against their
// schedule: a loaded machine shows here before anywhere else.
func (p *PacedSource) Lateness() *Lateness { return &p.late }

// Close ends the source: a waiting ReadFrame returns ErrClosed at once, and
// so do later ones. It is safe to call more than once.
func (p *PacedSource) Close() error {
	p.closeOnce.Do(func() { close(p.closed) })
	return nil
}

// Stats reports how the source kept time so far.
func (p *PacedSource) Stats() PaceStats {
	return PaceStats{
		Frames:  p.frames.Load(),
		Stalls:  p.stalls.Load(),
		Skipped: time.Duration(p.skipped.Load()),
	}
}
