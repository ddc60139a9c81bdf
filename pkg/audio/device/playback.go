//go:build !noportaudio

package device

import (
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// render fills a period for the speaker (interleaved) from the jitter
// buffer, silence where it has nothing. It runs on the stream's
// goroutine.
func (d *Device) render(out []int16) {
	frames := len(out) / d.outCh
	if cap(d.outMono) < frames {
		d.outMono = make([]int16, frames)
	}
	played := d.outMono[:frames]
	d.playback.buf.Read(played)
	spread(out, played, d.outCh)
	if (d.halfDuplex || d.echoCancel) && audible(played) {
		d.lastAudible.Store(d.now())
		d.farHeard.Add(int64(len(played)))
	}
	if d.echoCancel {
		d.ref.add(played)
	}
}

func audible(samples []int16) bool {
	for _, v := range samples {
		if v > audibleLevel || v < -audibleLevel {
			return true
		}
	}
	return false
}

// speakerHeard reports whether the microphone must be muted because the
// speaker played something within the hold time: always in half-duplex,
// and while the echo canceller warms up.
func (d *Device) speakerHeard() bool {
	muting := d.halfDuplex || (d.echoCancel && d.farHeard.Load()-d.warmFrom.Load() < d.warmup)
	last := d.lastAudible.Load()
	return muting && last != 0 && d.since(last) < d.hold
}

// Playback is the speaker: an audio.Sink for 48 kHz mono that queues what
// it is given in a Playout and returns at once.
type Playback struct {
	d   *Device
	buf *Playout

	mu     sync.Mutex // guards rs and closed
	rs     *audio.Resampler
	closed bool

	closeOnce sync.Once
	closeErr  error
}

var (
	_ audio.Sink            = (*Playback)(nil)
	_ audio.Flusher         = (*Playback)(nil)
	_ audio.PlayoutReporter = (*Playback)(nil)
)

func newPlayback(d *Device) (*Playback, error) {
	rs, err := audio.NewResampler(audio.SampleRate, d.outRate)
	if err != nil {
		return nil, failure.Wrap(failure.Device, err, "speaker rate")
	}
	return &Playback{d: d, buf: NewPlayout(d.outRate), rs: rs}, nil
}

// Write queues samples for the speaker. It fails with a failure.Device
// error once the speaker has stopped taking audio.
func (p *Playback) Write(samples []int16) error {
	if err := p.d.check(Output); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.buf.Write(p.rs.Process(samples))
	return nil
}

// Flush drops the audio queued for the speaker (the agent was
// interrupted).
func (p *Playback) Flush() { p.buf.Flush() }

// Stats returns the jitter buffer's counters.
func (p *Playback) Stats() PlayoutStats { return p.buf.Stats() }

// PlayoutStats returns the underrun and overrun counts, for the call's
// end-of-call statistics.
func (p *Playback) PlayoutStats() (underruns, overruns int64) {
	s := p.buf.Stats()
	return s.Underruns, s.Overruns
}

// drainPoll is how often Close looks whether the queue has been played.
const drainPoll = 10 * time.Millisecond

// Close lets the speaker play what is queued (at most MaxLatency, less if
// the device is gone), then closes it and, if the microphone is closed
// too, the stream. It is safe to call more than once.
func (p *Playback) Close() error {
	p.closeOnce.Do(func() {
		deadline := time.Now().Add(MaxLatency + TargetLatency)
		tick := time.NewTicker(drainPoll)
		for p.buf.Buffered() > 0 && p.d.check(Output) == nil && time.Now().Before(deadline) {
			<-tick.C
		}
		tick.Stop()
		p.mu.Lock()
		p.closed = true
		p.rs.Close()
		p.mu.Unlock()
		p.buf.Flush()
		p.closeErr = p.d.release()
	})
	return p.closeErr
}
