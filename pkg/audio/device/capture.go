//go:build !noportaudio

package device

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/audio/aec"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// captureQueue bounds the captured blocks waiting for ReadFrame (100 ms).
// A reader that fell further behind gets the newest audio, not the past:
// the oldest blocks are dropped.
const captureQueue = 10

// checkEvery is how often a ReadFrame that is waiting for the microphone
// asks the watchdog whether the device is lost.
const checkEvery = 250 * time.Millisecond

// block is one period of audio at the device's rate, mono: what the
// microphone captured and, with echo cancellation, what the speaker
// played at the same time.
type block struct {
	in, ref []int16
}

// deliver hands a period the microphone captured (interleaved) to the
// capture queue, with what the speaker played at the time for the echo
// canceller (reference.go). It runs on the stream's goroutine.
func (d *Device) deliver(in []int16) {
	d.lastIn.Store(d.now())
	b := block{in: mixDown(make([]int16, len(in)/d.inCh), in, d.inCh)}
	if d.echoCancel {
		b.ref = make([]int16, len(b.in))
		d.ref.take(b.ref)
	}
	d.capture.push(b)
}

// Capture is the microphone: an audio.Source of 20 ms 48 kHz mono frames,
// paced by the device's clock.
type Capture struct {
	d       *Device
	q       chan block
	dropped atomic.Int64

	closeOnce sync.Once
	closed    chan struct{}
	closeErr  error

	// Owned by ReadFrame (readMu), and freed by Close under it.
	readMu       sync.Mutex
	near, far    *audio.Resampler // device rate to 48 kHz
	echo         *aec.Stream
	jumps        int           // echo.Jumps() when last seen
	echoDelay    time.Duration // echo.EchoDelay() when last logged
	silenced     int           // echo.Silenced() when last seen
	silencing    bool          // the last block taken was silenced
	xruns        int64         // d.xruns when last seen
	frames       []int16       // 48 kHz, ready to be read
	timer        *time.Timer
	lastReported int64
}

var _ audio.Source = (*Capture)(nil)

func newCapture(d *Device) (*Capture, error) {
	c := &Capture{d: d, q: make(chan block, captureQueue), closed: make(chan struct{})}
	var err error
	if c.near, err = audio.NewResampler(d.inRate, audio.SampleRate); err != nil {
		return nil, failure.Wrap(failure.Device, err, "microphone rate")
	}
	if d.echoCancel {
		if c.far, err = audio.NewResampler(d.outRate, audio.SampleRate); err != nil {
			return nil, failure.Wrap(failure.Device, err, "speaker rate")
		}
		if c.echo, err = aec.NewStream(audio.SampleRate, d.refDelay); err != nil {
			return nil, failure.Wrap(failure.Device, err, "echo cancellation")
		}
	}
	c.timer = time.NewTimer(checkEvery)
	c.timer.Stop()
	return c, nil
}

// push queues a block, dropping the oldest when the reader has fallen
// behind. It never blocks.
func (c *Capture) push(b block) {
	select {
	case c.q <- b:
		return
	default:
	}
	select {
	case <-c.q:
		c.dropped.Add(1)
	default:
	}
	select {
	case c.q <- b:
	default:
		c.dropped.Add(1)
	}
}

// ReadFrame fills f with the next 20 ms of the microphone once it has been
// captured. A device that delivers nothing for LostTimeout makes a
// failure.Device error.
func (c *Capture) ReadFrame(ctx context.Context, f audio.Frame) error {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	for len(c.frames) < audio.FrameSamples {
		c.timer.Reset(checkEvery)
		select {
		case b := <-c.q:
			if err := c.take(b); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closed:
			return ErrClosed
		case <-c.timer.C:
			if err := c.d.check(Input); err != nil {
				return err
			}
		}
	}
	if n := c.dropped.Load(); n != c.lastReported {
		c.d.log.Debug("microphone reader fell behind, dropped the oldest audio", "blocks", n-c.lastReported)
		c.lastReported = n
	}
	copy(f, c.frames)
	c.frames = c.frames[:copy(c.frames, c.frames[audio.FrameSamples:])]
	if c.d.speakerHeard() {
		clear(f)
	}
	return nil
}

// take converts one block to 48 kHz and, with echo cancellation, removes
// the echo of what was played from what was captured.
func (c *Capture) take(b block) error {
	near := c.near.Process(b.in)
	if c.echo == nil {
		c.frames = append(c.frames, near...)
		return nil
	}
	if n := c.d.xruns.Load(); n != c.xruns {
		// The pairing started over (reference.go) at an offset of its
		// own: what the canceller learnt no longer fits, and it would
		// take seconds to notice. A new one measures the delay afresh,
		// and the microphone is muted while the speaker plays until it
		// has heard enough of it, as at the start.
		c.xruns = n
		echo, err := aec.NewStream(audio.SampleRate, c.d.refDelay)
		if err != nil {
			return failure.Wrap(failure.Internal, err, "echo cancellation")
		}
		c.echo.Close()
		c.echo, c.jumps, c.echoDelay, c.silenced = echo, 0, 0, 0
		c.d.warmFrom.Store(c.d.farHeard.Load())
	}
	var err error
	if c.frames, err = c.echo.Process(c.frames, near, c.far.Process(b.ref)); err != nil {
		return failure.Wrap(failure.Internal, err, "echo cancellation")
	}
	if n := c.echo.Silenced(); n != c.silenced {
		// Logged once per run of silenced stretches: a run is one leak.
		if !c.silencing {
			c.d.log.Debug("echo came through the canceller: silenced", "stretches", n)
		}
		c.silenced, c.silencing = n, true
	} else {
		c.silencing = false
	}
	echo, _ := c.echo.EchoDelay()
	if j := c.echo.Jumps(); j != c.jumps {
		// The canceller learns the echo path again: mute the
		// microphone while the speaker plays, as at the start.
		c.jumps = j
		c.d.warmFrom.Store(c.d.farHeard.Load())
	} else if echo == c.echoDelay {
		return nil
	}
	// Every change is logged, the small ones the filter follows by
	// itself too: a leak of echo is explained by what the delay did.
	c.echoDelay = echo
	ref, _ := c.echo.Delay()
	c.d.log.Debug("echo delay measured", "echo_delay", echo, "reference_delay", ref, "jumps", c.jumps)
	return nil
}

// Close stops reading the microphone (a ReadFrame in progress returns
// ErrClosed) and, if the speaker is closed too, the stream. It is safe to
// call more than once.
func (c *Capture) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.readMu.Lock()
		c.free()
		c.readMu.Unlock()
		c.closeErr = c.d.release()
	})
	return c.closeErr
}

// free releases the resamplers and the canceller (C memory).
func (c *Capture) free() {
	c.near.Close()
	if c.far != nil {
		c.far.Close()
	}
	if c.echo != nil {
		c.echo.Close()
	}
}
