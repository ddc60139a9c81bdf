//go:build !noportaudio

package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio/aec"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// blockDuration is a stream's period: 10 ms periods add half the
// buffering delay 20 ms ones would.
const blockDuration = 10 * time.Millisecond

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
	streams    []*stream
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

	// Owned by the stream's goroutine (render and deliver): outMono is
	// render's scratch buffer, ref the played samples not yet paired
	// with captured ones (with echo cancellation).
	outMono []int16
	ref     *reference

	// The watchdog (watchdog.go): started is when the streams were
	// started, the rest are times since then.
	started         time.Time
	lastIn, lastOut atomic.Int64
	lastInErr       atomic.Int64
	lastOutErr      atomic.Int64
	lastRestart     atomic.Int64
	restarts        atomic.Int64
	xruns           atomic.Int64 // underruns and overflows PortAudio reported
	restarted       func(silent time.Duration, err error)
	// closing is set when Close begins: a restart that finishes while the
	// streams stop is not reported, because the caller has moved on (its
	// call has ended, and its last word, such as an error event, must
	// stay the last).
	closing atomic.Bool
	// stuck is for tests: while set, the streams move no audio, as if
	// PulseAudio had stopped delivering; a restart clears it.
	stuck atomic.Bool

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
	var opened []*stream
	ok := false
	defer func() {
		if !ok {
			for _, s := range opened {
				_ = s.pa.Abort() // fails harmlessly on a stream not started
				_ = s.pa.Close()
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

	add := func(in, out *paDevice) error {
		s, err := d.openStream(in, out)
		if err == nil {
			opened = append(opened, s)
		}
		return err
	}
	switch {
	case in != nil && out != nil:
		// One full-duplex stream: both directions on one clock, so
		// the microphone's blocks and the speaker's stay in step for
		// echo cancellation. Devices that cannot share a stream
		// (different clocks or rates) get one stream each, without it.
		if err := add(in, out); err != nil {
			log.Debug("full-duplex stream failed, opening input and output separately", "err", err)
			d.noSharedStream = cfg.EchoCancel
			cfg.EchoCancel = false
			if err := add(in, nil); err != nil {
				return nil, err
			}
			if err := add(nil, out); err != nil {
				return nil, err
			}
		}
	default:
		if err := add(in, out); err != nil {
			return nil, err
		}
	}
	d.echoCancel = cfg.EchoCancel && cfg.Capture && cfg.Playback
	if d.echoCancel {
		d.ref = newReference(d.outRate)
	}
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

	for _, s := range opened {
		if err := s.pa.Start(); err != nil {
			return nil, streamError("start", d.inInfo, d.outInfo, err)
		}
	}
	d.started = time.Now()
	for _, s := range opened {
		go s.run()
	}
	d.streams = opened
	ok = true
	log.Debug("audio device open", "description", d.Description(), "echo_reference_delay", d.refDelay)
	return d, nil
}

// openStream negotiates a format for the given devices (either may be nil)
// and opens a stream on them. Call with paMu held.
func (d *Device) openStream(in, out *paDevice) (*stream, error) {
	p, err := negotiate(in, out)
	if err != nil {
		return nil, streamError("open", d.inInfo, d.outInfo, err)
	}
	s, err := openStream(d, p)
	if err != nil {
		return nil, streamError("open", d.inInfo, d.outInfo, err)
	}
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
	return s, nil
}

// refDelay is the first guess at how far to delay the speaker's samples
// before the echo canceller compares them with the microphone's, until
// the canceller has measured the echo's delay (aec.Stream). The echo of a
// period played now reaches the microphone about the output plus the
// input latency later. PortAudio's figures are upper bounds (PulseAudio
// reports 100 ms for a 60 ms round trip), and a reference delayed past
// its echo cannot cancel it, while one delayed too little only uses up
// some of the filter's tail: so half the reported latency, in whole
// canceller blocks.
func refDelay(inLatency, outLatency time.Duration) time.Duration {
	d := min((inLatency+outLatency)/2, aec.MaxDelay)
	return d.Truncate(aec.BlockDuration)
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
		s += ", no echo cancellation (the devices cannot share a stream; use a headset, or half-duplex)"
	}
	if d.halfDuplex {
		s += ", half-duplex"
	}
	return s
}

// Close closes the capture and the playback (those not closed yet) and
// the stream. It is safe to call more than once.
func (d *Device) Close() error {
	d.closing.Store(true)
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

// setCloseErr records what closing a stream failed with.
func (d *Device) setCloseErr(err error) {
	if err == nil {
		return
	}
	d.mu.Lock()
	d.closeErr = errors.Join(d.closeErr, failure.Wrap(failure.Device, err, "close the audio device"))
	d.mu.Unlock()
}

// release is called once by each of Capture.Close and Playback.Close; the
// last one stops the streams and PortAudio.
func (d *Device) release() error {
	d.mu.Lock()
	d.openParts--
	last := d.openParts == 0
	d.mu.Unlock()
	if !last {
		return nil
	}
	d.closing.Store(true)
	_, err := bounded(context.Background(), CloseTimeout, "close the audio device", func() (struct{}, error) {
		for _, s := range d.streams {
			s.stop()
		}
		paMu.Lock()
		paTerminate()
		paMu.Unlock()
		return struct{}{}, nil
	}, nil)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.closeErr = errors.Join(d.closeErr, err)
	}
	return d.closeErr
}

// initError explains a PortAudio that cannot start.
func initError(err error) error {
	return failure.Wrap(failure.Device, err, "cannot start the audio system (PortAudio)").WithHint(hintList).WithCond(ErrAudioSystem)
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
			WithHint("close the program using it, or pick another device").WithCond(ErrBusy)
	}
	return failure.Wrap(failure.Device, err, fmt.Sprintf("cannot %s the audio device %s", what, devs)).WithHint(hintList).WithCond(ErrUnusable)
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
			WithHint(hintList).WithCond(ErrAudioSystem)
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
