package kiosk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/token"
)

// Options configure a kiosk. Credentials and Devices are required.
type Options struct {
	// Credentials is asked for fresh credentials for every call (and by
	// a call that rejoins). A token endpoint is the usual kiosk set-up.
	Credentials token.Source
	// Devices opens the microphone and speaker for each call and tells
	// whether they are there while the kiosk is idle.
	Devices Devices
	// Call is the base of every call's options: Timing, Reconnect,
	// Logger, Clock. The kiosk sets Credentials, Input, Output,
	// Recorder, Events, Status and Start itself.
	Call call.Options

	// AlwaysOn starts a call again Pause after each call ends, and when
	// the kiosk starts.
	AlwaysOn bool
	Pause    time.Duration
	// Retry paces the attempts after a call that could not start.
	Retry Backoff
	// DeviceCheck is how often an idle kiosk checks that its devices
	// are still there (0: only when a call starts). A kiosk waiting for
	// its devices looks every DeviceRetry.
	DeviceCheck time.Duration
	DeviceRetry time.Duration

	// Files, if its Dir is set, keeps each call's transcripts and
	// recording.
	Files Files

	Metrics *Metrics
	// Notify tells the service manager (systemd) how the kiosk is; nil
	// tells nobody. Watchdog is how often the loop pings it (0: never).
	Notify   Notifier
	Watchdog time.Duration

	// Log receives the kiosk's own log lines; nil discards them.
	Log *slog.Logger
	// Events, if set, receives every event of every call, with its id.
	Events func(callID string, e event.Event)
	// Now is the clock of the kiosk's own decisions; nil is time.Now.
	Now func() time.Time
}

// Notifier is the service manager as the kiosk sees it (pkg/sdnotify).
type Notifier interface {
	Ready() error
	Stopping() error
	Watchdog() error
	Status(string) error
	// ExtendTimeout asks for more time to start: a kiosk waiting for
	// its devices at boot is alive, not hung, and must not be killed for
	// a slow start.
	ExtendTimeout(time.Duration) error
}

// Backoff is the wait between attempts: First, doubling up to Max. A
// provider that says it is busy (HMS's 429) is not asked again before
// Busy has passed.
type Backoff struct {
	First, Max, Busy time.Duration
	// Attempts bounds the attempts for a call someone asked for (the
	// API, a signal, a key); always-on tries for ever. 0: 5.
	Attempts int
}

// DefaultBackoff is what a zero Backoff means.
var DefaultBackoff = Backoff{First: time.Second, Max: time.Minute, Busy: 30 * time.Second, Attempts: 5}

func (b Backoff) withDefaults() Backoff {
	d := DefaultBackoff
	if b.First <= 0 {
		b.First = d.First
	}
	if b.Max < b.First {
		b.Max = max(d.Max, b.First)
	}
	if b.Busy <= 0 {
		b.Busy = d.Busy
	}
	if b.Attempts <= 0 {
		b.Attempts = d.Attempts
	}
	return b
}

// delay is the wait before attempt n (1 is the first retry) after err.
func (b Backoff) delay(n int, err error) time.Duration {
	d := b.First
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if failure.KindOf(err) == failure.Busy {
		d = max(d, b.Busy)
	}
	return d
}

// Kiosk is a running kiosk. Its methods are safe from any goroutine: they
// ask the loop (Run), which alone changes the state.
type Kiosk struct {
	o       Options
	creds   *watchedSource
	started time.Time

	requests chan request
	// stopped is closed when Run has returned.
	stopped chan struct{}
	// wakes counts the loop's turns, for the test that it does not spin.
	wakes atomic.Int64

	mu     sync.Mutex
	status Status
}

var _ Controller = (*Kiosk)(nil)

// New checks the options and makes a kiosk; Run runs it.
func New(o Options) (*Kiosk, error) {
	if o.Credentials == nil {
		return nil, failure.New(failure.Usage, "the kiosk has no source of credentials").WithCond(call.ErrNoCredentials)
	}
	if o.Devices == nil {
		return nil, failure.New(failure.Internal, "the kiosk has no sound devices")
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DeviceRetry <= 0 {
		o.DeviceRetry = 2 * time.Second
	}
	o.Retry = o.Retry.withDefaults()
	k := &Kiosk{o: o, requests: make(chan request), stopped: make(chan struct{}), started: o.Now()}
	k.creds = &watchedSource{src: o.Credentials, failed: o.Metrics.tokenFailures.Inc}
	k.status = Status{State: StateStarting, Since: k.started, NotReady: "starting"}
	return k, nil
}

// Metrics returns the kiosk's metrics, for /metrics.
func (k *Kiosk) Metrics() *Metrics { return k.o.Metrics }

// request is one control operation, answered by the loop.
type request struct {
	hangup bool
	by     Trigger
	reply  chan reply
}

type reply struct {
	call CallStatus
	err  error
}

// ask hands r to the loop and waits for its answer.
func (k *Kiosk) ask(ctx context.Context, r request) (CallStatus, error) {
	r.reply = make(chan reply, 1)
	select {
	case k.requests <- r:
	case <-k.stopped:
		return CallStatus{}, ErrStopping
	case <-ctx.Done():
		return CallStatus{}, ctx.Err()
	}
	select {
	case a := <-r.reply:
		return a.call, a.err
	case <-ctx.Done():
		return CallStatus{}, ctx.Err()
	}
}

// StartCall starts a call, unless one is on or the kiosk is not ready.
func (k *Kiosk) StartCall(ctx context.Context, by Trigger) (CallStatus, error) {
	return k.ask(ctx, request{by: by})
}

// Hangup ends the call that is on and returns once it has ended. A kiosk
// retrying a failed start stops retrying.
func (k *Kiosk) Hangup(ctx context.Context) (CallStatus, error) {
	return k.ask(ctx, request{hangup: true})
}

// Toggle starts a call when none is on and hangs up the one that is (or
// stops the retries of one that could not start): one button (SIGUSR1, a
// key) does both.
func (k *Kiosk) Toggle(ctx context.Context, by Trigger) (CallStatus, error) {
	if st := k.Status().State; st == StateCalling || st == StateRetrying {
		cs, err := k.Hangup(ctx)
		if !errors.Is(err, ErrNoCall) {
			return cs, err
		}
	}
	return k.StartCall(ctx, by)
}

// Status returns the kiosk's state now. It never waits for the loop.
func (k *Kiosk) Status() Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.status
	s.UptimeS = k.o.Now().Sub(k.started).Seconds()
	return s
}

// Ready says whether a call could start now.
func (k *Kiosk) Ready() error {
	s := k.Status()
	if s.Ready {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotReady, s.NotReady)
}

// setStatus lets the loop change the published status.
func (k *Kiosk) setStatus(f func(*Status)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f(&k.status)
}

// newCallID is the kiosk's own id of a call: short, unique enough for a
// box that makes a few thousand calls, and safe in a file name.
func newCallID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// watchedSource is the kiosk's credentials: it remembers whether the last
// request for them worked, which /readyz reports (a kiosk never asks for
// credentials just to check: an HMS source would create a call), and
// counts the failures.
type watchedSource struct {
	src    token.Source
	failed func()

	mu      sync.Mutex
	lastErr error
}

func (w *watchedSource) Fetch(ctx context.Context) (token.Credentials, error) {
	c, err := w.src.Fetch(ctx)
	w.note(ctx, err)
	return c, err
}

func (w *watchedSource) Renewal() token.Renewal { return token.RenewalOf(w.src) }

func (w *watchedSource) FetchRejoin(ctx context.Context, prev token.Credentials) (token.Credentials, error) {
	c, err := token.FetchRejoin(ctx, w.src, prev)
	w.note(ctx, err)
	return c, err
}

func (w *watchedSource) note(ctx context.Context, err error) {
	if err != nil && ctx.Err() != nil {
		return // the kiosk hung up or stopped while asking
	}
	w.mu.Lock()
	w.lastErr = err
	w.mu.Unlock()
	if err != nil {
		w.failed()
	}
}

func (w *watchedSource) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}
