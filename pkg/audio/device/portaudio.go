//go:build !noportaudio

package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/audio/aec"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// paMu serialises PortAudio's global calls (initialise, terminate, device
// queries, opening, starting and closing streams), which PortAudio does
// not make thread-safe.
var paMu sync.Mutex

// blockDuration is the stream callback's period: 10 ms blocks add half
// the buffering delay 20 ms ones would, for 100 callbacks a second.
const blockDuration = 10 * time.Millisecond

// captureQueue bounds the captured blocks waiting for ReadFrame (100 ms).
// A reader that fell further behind gets the newest audio, not the past:
// the oldest blocks are dropped.
const captureQueue = 10

// List returns the audio devices PortAudio finds. No devices is not an
// error; a PortAudio that cannot start is (a failure.Device error).
func List(ctx context.Context, log *slog.Logger) ([]Info, error) {
	captureCStderr(orDiscard(log))
	return bounded(ctx, OpenTimeout, "list the audio devices", func() ([]Info, error) {
		paMu.Lock()
		defer paMu.Unlock()
		if err := paInitialize(); err != nil {
			return nil, initError(err)
		}
		defer paTerminate()
		devs, err := paDevices()
		if err != nil {
			return nil, initError(err)
		}
		infos := make([]Info, len(devs))
		for i, d := range devs {
			infos[i] = d.Info
		}
		return infos, nil
	}, nil)
}

// Device is an open microphone, speaker, or both.
type Device struct {
	log        *slog.Logger
	streams    []*paStream
	capture    *Capture
	playback   *Playback
	echoCancel bool
	// noSharedStream: the devices needed a stream each, so the echo
	// could not be cancelled.
	noSharedStream bool
	refDelay       time.Duration
	halfDuplex     bool
	// hold is how long the microphone stays muted in half-duplex (or
	// while the canceller warms up) after the speaker last played
	// something audible (lastAudible).
	hold        time.Duration
	lastAudible atomic.Int64
	// farHeard counts the audible samples the speaker has played, and
	// warmup how many the canceller needs (EchoWarmup) after
	// warmFrom, the count when it last had to start learning the echo
	// path (see aec.Stream.Jumps).
	farHeard atomic.Int64
	warmFrom atomic.Int64
	warmup   int64

	inInfo, outInfo Info
	inRate, outRate int
	inCh, outCh     int
	outMono         []int16 // the callback's scratch buffer

	// started is when the streams were started; lastIn and lastOut are
	// the times of the latest callbacks since then (+1 ns, so 0 means
	// none yet), for telling a lost device from a slow one.
	started         time.Time
	lastIn, lastOut atomic.Int64

	// Restarting a stalled stream (see watch): restarting is set while a
	// restart runs on its goroutine (restartWG), lastRestart is when
	// the last began (as lastIn), and restarts counts them. stuck is
	// for tests: while set, callbacks are ignored, as if the stream had
	// stopped calling back; a restart clears it.
	restarting  atomic.Bool
	restartWG   sync.WaitGroup
	lastRestart atomic.Int64
	restarts    atomic.Int64
	stuck       atomic.Bool
	streamsDone bool // set under paMu once the streams are closed
	restarted   func(silent time.Duration, err error)

	mu        sync.Mutex
	openParts int // Capture and Playback not closed yet
	closeErr  error
}

// Open opens the devices cfg names and starts them. ctx bounds the
// opening only. Every error is a failure.Device error.
func Open(ctx context.Context, cfg Config) (*Device, error) {
	if !cfg.Capture && !cfg.Playback {
		return nil, errors.New("device.Open: neither capture nor playback asked for")
	}
	log := orDiscard(cfg.Log)
	captureCStderr(log)
	return bounded(ctx, OpenTimeout, "open the audio device", func() (*Device, error) {
		return open(cfg, log)
	}, func(d *Device) { d.Close() })
}

func open(cfg Config, log *slog.Logger) (*Device, error) {
	paMu.Lock()
	defer paMu.Unlock()
	if err := paInitialize(); err != nil {
		return nil, initError(err)
	}
	d := &Device{log: log, restarted: cfg.Restarted}
	ok := false
	defer func() {
		if !ok {
			for _, s := range d.streams {
				s.close()
			}
			paTerminate()
			if d.capture != nil {
				d.capture.free()
			}
		}
	}()
	devs, err := paDevices()
	if err != nil {
		return nil, initError(err)
	}
	infos := make([]Info, len(devs))
	for i, dev := range devs {
		infos[i] = dev.Info
	}
	pick := func(spec string, dir Direction) (*paDevice, error) {
		info, err := Find(infos, spec, dir)
		if err != nil {
			return nil, err
		}
		for i := range devs {
			if devs[i].Index == info.Index {
				return &devs[i], nil
			}
		}
		return nil, fmt.Errorf("device %d vanished from the list", info.Index)
	}
	var in, out *paDevice
	if cfg.Capture {
		if in, err = pick(cfg.Input, Input); err != nil {
			return nil, err
		}
		d.inInfo = in.Info
	}
	if cfg.Playback {
		if out, err = pick(cfg.Output, Output); err != nil {
			return nil, err
		}
		d.outInfo = out.Info
	}

	switch {
	case in != nil && out != nil:
		// One full-duplex stream: its callback sees each block the
		// microphone captured together with the block the speaker
		// played at the same time, the alignment echo cancellation
		// needs. Devices that cannot share a stream (different
		// clocks or rates) get one stream each, without it.
		if err := d.openStream(in, out); err != nil {
			log.Debug("full-duplex stream failed, opening input and output separately", "err", err)
			d.noSharedStream = cfg.EchoCancel
			cfg.EchoCancel = false
			if err := d.openStream(in, nil); err != nil {
				return nil, err
			}
			if err := d.openStream(nil, out); err != nil {
				return nil, err
			}
		}
	default:
		if err := d.openStream(in, out); err != nil {
			return nil, err
		}
	}
	d.echoCancel = cfg.EchoCancel && cfg.Capture && cfg.Playback
	d.halfDuplex = cfg.HalfDuplex && cfg.Capture && cfg.Playback
	d.warmup = int64(EchoWarmup.Seconds() * float64(d.outRate))

	if cfg.Playback {
		p, err := newPlayback(d)
		if err != nil {
			return nil, err
		}
		d.playback = p
		d.openParts++
	}
	if cfg.Capture {
		c, err := newCapture(d)
		if err != nil {
			return nil, err
		}
		d.capture = c
		d.openParts++
	}

	d.started = time.Now()
	for _, s := range d.streams {
		if err := s.start(); err != nil {
			return nil, streamError("start", d.inInfo, d.outInfo, err)
		}
	}
	ok = true
	log.Debug("audio device open", "description", d.Description(), "echo_reference_delay", d.refDelay)
	return d, nil
}

// openStream negotiates a format for the given devices (either may be nil)
// and opens a stream on them. Call with paMu held.
func (d *Device) openStream(in, out *paDevice) error {
	p, err := negotiate(in, out)
	if err != nil {
		return streamError("open", d.inInfo, d.outInfo, err)
	}
	s, err := paOpen(p, d.process)
	if err != nil {
		return streamError("open", d.inInfo, d.outInfo, err)
	}
	d.streams = append(d.streams, s)
	rate := int(p.rate)
	if in != nil {
		d.inRate, d.inCh = rate, p.inCh
	}
	if out != nil {
		d.outRate, d.outCh = rate, p.outCh
	}
	inLat, outLat := s.latency()
	if in != nil && out != nil {
		d.refDelay = refDelay(inLat, outLat)
	}
	d.hold = max(d.hold, HalfDuplexHold+inLat+outLat)
	d.log.Debug("audio stream open", "input", in != nil, "output", out != nil, "rate", rate,
		"input_channels", p.inCh, "output_channels", p.outCh, "input_latency", inLat, "output_latency", outLat)
	return nil
}

// refDelay is the first guess at how far to delay the speaker's samples
// before the echo canceller compares them with the microphone's, until
// the canceller has measured the echo's delay (aec.Stream). The echo of a
// block played now reaches the microphone's callback about the output
// plus the input latency later. PortAudio's figures are upper bounds
// (PulseAudio reports 100 ms for a 60 ms round trip), and a reference
// delayed past its echo cannot cancel it, while one delayed too little
// only uses up some of the filter's tail: so half the reported latency,
// in whole canceller blocks.
func refDelay(inLatency, outLatency time.Duration) time.Duration {
	d := min((inLatency+outLatency)/2, aec.MaxDelay)
	return d.Truncate(aec.BlockDuration)
}

// negotiate picks the stream format: 48 kHz when the devices take it, else
// the output's (or input's) default rate; mono when they take it, else
// two channels (mixed down or duplicated by the callback).
func negotiate(in, out *paDevice) (paParams, error) {
	rates := []float64{audio.SampleRate}
	for _, dev := range []*paDevice{out, in} {
		if dev != nil && dev.DefaultRate >= 8000 && !slices.Contains(rates, float64(int(dev.DefaultRate))) {
			rates = append(rates, float64(int(dev.DefaultRate)))
		}
	}
	channels := func(max int) []int {
		if max >= 2 {
			return []int{1, 2}
		}
		return []int{1}
	}
	inChans, outChans := []int{0}, []int{0}
	if in != nil {
		inChans = channels(in.InputChannels)
	}
	if out != nil {
		outChans = channels(out.OutputChannels)
	}
	var firstErr error
	for _, rate := range rates {
		for _, ic := range inChans {
			for _, oc := range outChans {
				p := paParams{in: in, out: out, inCh: ic, outCh: oc, rate: rate,
					framesPerBuffer: int(rate * blockDuration.Seconds())}
				err := paSupported(p)
				if err == nil {
					return p, nil
				}
				if firstErr == nil {
					firstErr = err
				}
			}
		}
	}
	return paParams{}, firstErr
}

// process is the stream callback, on PortAudio's thread: in and out are
// interleaved blocks of the same number of frames (either may be nil).
func (d *Device) process(in, out []int16) {
	if d.stuck.Load() {
		clear(out)
		return
	}
	now := int64(time.Since(d.started)) + 1
	var played []int16
	if out != nil {
		d.lastOut.Store(now)
		frames := len(out) / d.outCh
		if cap(d.outMono) < frames {
			d.outMono = make([]int16, frames)
		}
		played = d.outMono[:frames]
		d.playback.buf.Read(played)
		spread(out, played, d.outCh)
		if (d.halfDuplex || d.echoCancel) && audible(played) {
			d.lastAudible.Store(now)
			d.farHeard.Add(int64(len(played)))
		}
	}
	if in != nil {
		d.lastIn.Store(now)
		b := block{in: mixDown(make([]int16, len(in)/d.inCh), in, d.inCh)}
		if d.echoCancel && played != nil {
			b.ref = slices.Clone(played)
		}
		d.capture.push(b)
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
	return muting && last != 0 && time.Since(d.started)-time.Duration(last-1) < d.hold
}

// silence returns how long direction dir has gone without a callback
// (since the start when it has had none), and the device's name there.
func (d *Device) silence(dir Direction) (silent time.Duration, started bool, name string) {
	last, name := d.lastIn.Load(), d.inInfo.Name
	if dir == Output {
		last, name = d.lastOut.Load(), d.outInfo.Name
	}
	since := time.Since(d.started)
	if last == 0 {
		return since, false, name
	}
	return since - time.Duration(last-1), true, name
}

// check returns a failure.Device error when the device has stopped calling
// back in direction dir.
func (d *Device) check(dir Direction) error {
	silent, started, name := d.silence(dir)
	if (!started && silent > StartTimeout) || (started && silent > LostTimeout) {
		return lostError(dir, name, silent)
	}
	return nil
}

// watch is check, plus a restart of the streams when dir has been silent
// for StallTimeout (at most one restart per StallTimeout).
func (d *Device) watch(dir Direction) error {
	if err := d.check(dir); err != nil {
		return err
	}
	silent, _, _ := d.silence(dir)
	now := time.Since(d.started)
	if r := d.lastRestart.Load(); r != 0 && now-time.Duration(r-1) < StallTimeout {
		return nil
	}
	if silent >= StallTimeout && d.restarting.CompareAndSwap(false, true) {
		d.lastRestart.Store(int64(now) + 1)
		d.restartWG.Add(1)
		go d.restart(dir, silent)
	}
	return nil
}

// restart closes the streams and opens and starts them again, on its own
// goroutine: a sound server that hangs must not hang the reader or the
// writer with it. It opens new streams rather than starting the old ones
// again because PortAudio's start waits forever on a PulseAudio server
// that has gone away, while an open fails at once: a device that is gone
// stays gone, and LostTimeout ends the call.
func (d *Device) restart(dir Direction, silent time.Duration) {
	defer d.restartWG.Done()
	defer d.restarting.Store(false)
	paMu.Lock()
	defer paMu.Unlock()
	if d.streamsDone {
		return
	}
	var errs []error
	for i, s := range d.streams {
		if s == nil {
			continue // an earlier restart could not open it again
		}
		s.abort()
		s.close()
		ns, err := paOpen(s.params, d.process)
		if err != nil {
			d.streams[i] = nil
			errs = append(errs, err)
			continue
		}
		d.streams[i] = ns
		if err := ns.start(); err != nil {
			errs = append(errs, err)
		}
	}
	d.stuck.Store(false)
	n := d.restarts.Add(1)
	err := errors.Join(errs...)
	d.log.Debug("audio stream restarted: it had stopped calling back", "direction", dir.String(),
		"silent_for", silent.Round(time.Millisecond), "restarts", n, "err", err)
	if d.restarted != nil {
		d.restarted(silent, err)
	}
}

// Restarts counts the times a stalled stream was restarted.
func (d *Device) Restarts() int64 { return d.restarts.Load() }

// Capture returns the microphone as a Source, or nil if none was opened.
func (d *Device) Capture() *Capture { return d.capture }

// Playback returns the speaker as a Sink, or nil if none was opened.
func (d *Device) Playback() *Playback { return d.playback }

// EchoCancelling reports whether the capture is echo-cancelled.
func (d *Device) EchoCancelling() bool { return d.echoCancel }

// Description says in words what was opened, for status lines and logs.
func (d *Device) Description() string {
	var s string
	if d.capture != nil {
		s = fmt.Sprintf("microphone %s (%s, %d Hz, %d ch)", d.inInfo, d.inInfo.HostAPI, d.inRate, d.inCh)
	}
	if d.playback != nil {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("speaker %s (%s, %d Hz, %d ch)", d.outInfo, d.outInfo.HostAPI, d.outRate, d.outCh)
	}
	if d.echoCancel {
		s += ", echo cancellation on"
	}
	if d.noSharedStream {
		s += ", no echo cancellation (the devices cannot share a stream; use a headset or --half-duplex)"
	}
	if d.halfDuplex {
		s += ", half-duplex"
	}
	return s
}

// Close closes the capture and the playback (those not closed yet) and
// the stream. It is safe to call more than once.
func (d *Device) Close() error {
	var errs []error
	if d.capture != nil {
		errs = append(errs, d.capture.Close())
	}
	if d.playback != nil {
		errs = append(errs, d.playback.Close())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return errors.Join(append(errs, d.closeErr)...)
}

// release is called once by each of Capture.Close and Playback.Close; the
// last one stops the streams.
func (d *Device) release() error {
	d.mu.Lock()
	d.openParts--
	last := d.openParts == 0
	d.mu.Unlock()
	if !last {
		return nil
	}
	lost := (d.capture != nil && d.check(Input) != nil) || (d.playback != nil && d.check(Output) != nil)
	_, err := bounded(context.Background(), CloseTimeout, "close the audio device", func() (struct{}, error) {
		d.restartWG.Wait()
		paMu.Lock()
		defer paMu.Unlock()
		d.streamsDone = true
		var errs []error
		for _, s := range d.streams {
			if s == nil {
				continue // a restart could not open it again
			}
			// Stop lets the speaker play what it holds; a lost device
			// has nothing to play and may not answer.
			if lost || s.stop() != nil {
				s.abort()
			}
			if err := s.close(); err != nil && !lost {
				errs = append(errs, err)
			}
		}
		paTerminate()
		if err := errors.Join(errs...); err != nil {
			return struct{}{}, failure.Wrap(failure.Device, err, "close the audio device")
		}
		return struct{}{}, nil
	}, nil)
	d.mu.Lock()
	d.closeErr = err
	d.mu.Unlock()
	return err
}

// block is one callback's worth of audio at the device's rate, mono: what
// the microphone captured and, with echo cancellation, what the speaker
// played in the same callback.
type block struct {
	in, ref []int16
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
	jumps        int     // echo.Jumps() when last seen
	frames       []int16 // 48 kHz, ready to be read
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
	c.timer = time.NewTimer(StartTimeout)
	c.timer.Stop()
	return c, nil
}

// push queues a block from the callback, dropping the oldest when the
// reader has fallen behind. It never blocks.
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
// captured. A device that delivers nothing for LostTimeout (StartTimeout
// at first) makes a failure.Device error.
func (c *Capture) ReadFrame(ctx context.Context, f audio.Frame) error {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	for len(c.frames) < audio.FrameSamples {
		c.timer.Reset(StallTimeout)
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
			c.d.log.Debug("microphone stalled", "since_start", time.Since(c.d.started),
				"last_input", time.Duration(c.d.lastIn.Load()), "last_output", time.Duration(c.d.lastOut.Load()))
			if err := c.d.watch(Input); err != nil {
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
	var err error
	if c.frames, err = c.echo.Process(c.frames, near, c.far.Process(b.ref)); err != nil {
		return failure.Wrap(failure.Internal, err, "echo cancellation")
	}
	if j := c.echo.Jumps(); j != c.jumps {
		// The canceller learns the echo path again: mute the
		// microphone while the speaker plays, as at the start.
		c.jumps = j
		c.d.warmFrom.Store(c.d.farHeard.Load())
		echo, _ := c.echo.EchoDelay()
		ref, _ := c.echo.Delay()
		c.d.log.Debug("echo delay measured", "echo_delay", echo, "reference_delay", ref, "jumps", j)
	}
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

var _ audio.Sink = (*Playback)(nil)

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
	if err := p.d.watch(Output); err != nil {
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

// initError explains a PortAudio that cannot start.
func initError(err error) error {
	return failure.Wrap(failure.Device, err, "cannot start the audio system (PortAudio)").WithHint(hintList)
}

// streamError explains a stream that cannot open or start: the device is
// busy, or cannot do any format webcall can use.
func streamError(what string, in, out Info, err error) error {
	var names []string
	switch {
	case in.Name != "" && out.Name != "" && in.Name != out.Name:
		names = []string{fmt.Sprintf("input %q", in.Name), fmt.Sprintf("output %q", out.Name)}
	case in.Name != "":
		names = []string{fmt.Sprintf("%q", in.Name)}
	default:
		names = []string{fmt.Sprintf("%q", out.Name)}
	}
	devs := strings.Join(names, " and ")
	if isBusy(err) {
		return failure.Wrap(failure.Device, err, fmt.Sprintf("the audio device %s is busy", devs)).
			WithHint("close the program using it, or pick another device (`webcall devices`)")
	}
	return failure.Wrap(failure.Device, err, fmt.Sprintf("cannot %s the audio device %s", what, devs)).WithHint(hintList)
}

// isBusy reports whether err is PortAudio's way of saying another program
// holds the device.
func isBusy(err error) bool {
	var pe *paError
	return errors.As(err, &pe) && pe.busy()
}

// bounded runs fn on a goroutine of its own and waits for it at most
// timeout (or until ctx ends): PortAudio calls can block on a sound server
// that does not answer, and webcall must fail rather than hang. If fn
// finishes after the wait was given up, abandon (if not nil) releases what
// it returned.
func bounded[T any](ctx context.Context, timeout time.Duration, what string, fn func() (T, error), abandon func(T)) (T, error) {
	done := make(chan outcome[T], 1)
	go func() {
		v, err := fn()
		done <- outcome[T]{v, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var zero T
	select {
	case r := <-done:
		return r.v, r.err
	case <-timer.C:
		giveUp(done, abandon)
		return zero, failure.Newf(failure.Device, "could not %s: the audio system did not answer within %s", what, timeout).
			WithHint(hintList)
	case <-ctx.Done():
		giveUp(done, abandon)
		return zero, context.Cause(ctx)
	}
}

type outcome[T any] struct {
	v   T
	err error
}

// giveUp releases, on a goroutine that ends when the bounded call does,
// the result nobody waits for any more.
func giveUp[T any](done <-chan outcome[T], abandon func(T)) {
	go func() {
		r := <-done
		if r.err == nil && abandon != nil {
			abandon(r.v)
		}
	}()
}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
