package kiosk

import (
	"context"
	"fmt"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
)

// loop is the state Run keeps. Only Run's goroutine touches it.
type loop struct {
	k     *Kiosk
	ctx   context.Context
	state State
	call  *running
	done  chan ended
	calls int

	// devicesOK: the devices opened the last time they were tried.
	devicesOK  bool
	deviceErr  error
	probing    bool
	probeDone  chan error
	nextProbe  time.Time
	readySent  bool
	retry      *retrying
	nextAlways time.Time
	nextPing   time.Time
	// nextExtend: while not yet ready, when to ask systemd for more
	// time to start.
	nextExtend time.Time
	// pending are calls asked for while the devices were being checked:
	// they start once the check has let go of the devices.
	pending []request
}

// retrying is a start that failed and is tried again at.
type retrying struct {
	attempt int
	at      time.Time
	by      Trigger
	err     error
}

// Run runs the kiosk until ctx ends: it checks the devices, takes calls
// when asked, and goes back to idle after each. When ctx ends it hangs up
// the call that is on, waits for its files, tells the service manager it
// is stopping and returns nil. It returns an error only for a kiosk that
// could never run.
func (k *Kiosk) Run(ctx context.Context) error {
	l := &loop{k: k, ctx: ctx, done: make(chan ended, 1), probeDone: make(chan error, 1)}
	l.setState(StateStarting)
	l.startProbe()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		k.wakes.Add(1)
		l.ping()
		if ctx.Err() != nil {
			l.stop()
			// From here requests are answered by ask: ErrStopping.
			close(k.stopped)
			return nil
		}
		timer.Reset(l.wake())
		select {
		case <-ctx.Done():
		case r := <-k.requests:
			l.handle(r)
		case e := <-l.done:
			l.ended(e)
		case err := <-l.probeDone:
			l.probed(err)
		case <-timer.C:
			l.due()
		}
	}
}

// wake is how long the loop may sleep before something is due. While a
// call is on or the devices are being checked, only the watchdog is: the
// rest waits for them, and a retry or check already due must not make
// the loop spin.
func (l *loop) wake() time.Duration {
	now := l.k.o.Now()
	next := now.Add(time.Hour)
	due := []time.Time{l.nextPing}
	if l.k.o.Notify != nil && !l.readySent {
		due = append(due, l.nextExtend)
	}
	if l.call == nil && !l.probing {
		due = append(due, l.nextProbe, l.nextAlways)
		if l.retry != nil {
			due = append(due, l.retry.at)
		}
	}
	for _, t := range due {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	return max(next.Sub(now), time.Millisecond)
}

// startExtension is how much more time to start a kiosk asks for at a
// time while it waits for its devices.
const startExtension = 30 * time.Second

// ping tells the service manager's watchdog that the loop is alive: from
// the loop itself, so that a loop that hangs stops the pings and gets the
// process restarted.
func (l *loop) ping() {
	if l.k.o.Notify == nil {
		return
	}
	now := l.k.o.Now()
	if !l.readySent && !now.Before(l.nextExtend) {
		l.notify(func(n Notifier) error { return n.ExtendTimeout(startExtension) })
		l.nextExtend = now.Add(startExtension / 3)
	}
	if l.k.o.Watchdog <= 0 {
		return
	}
	if now.Before(l.nextPing) {
		return
	}
	if err := l.k.o.Notify.Watchdog(); err != nil && l.nextPing.IsZero() {
		l.k.o.Log.Warn("cannot ping the service manager's watchdog", "err", err)
	}
	l.nextPing = now.Add(l.k.o.Watchdog)
}

// due does what has come due: a retry, the next always-on call, a check
// of the devices. A call comes first: the check waits for it to end.
func (l *loop) due() {
	if l.call != nil || l.probing {
		return
	}
	now := l.k.o.Now()
	switch r := l.retry; {
	case r != nil && !now.Before(r.at) && l.devicesOK:
		l.start(TriggerRetry)
		return
	case r == nil && !l.nextAlways.IsZero() && !now.Before(l.nextAlways) && l.devicesOK:
		l.nextAlways = time.Time{}
		l.start(TriggerAlwaysOn)
		return
	}
	if !l.nextProbe.IsZero() && !now.Before(l.nextProbe) {
		l.nextProbe = time.Time{}
		l.startProbe()
	}
}

// handle answers a control request.
func (l *loop) handle(r request) {
	if r.hangup {
		switch {
		case l.call != nil:
			l.hangup(r.reply)
		case l.retry != nil:
			l.retry = nil
			l.k.o.Log.Info("stopped retrying: hung up")
			l.settle()
			r.reply <- reply{}
		default:
			r.reply <- reply{err: ErrNoCall}
		}
		return
	}
	switch {
	case l.probing:
		l.pending = append(l.pending, r)
	case l.call != nil:
		r.reply <- reply{call: l.call.status, err: ErrBusy}
	case l.retry != nil:
		r.reply <- reply{err: fmt.Errorf("%w: retrying in %s after: %v", ErrNotReady,
			l.retry.at.Sub(l.k.o.Now()).Round(100*time.Millisecond), redact.String(l.retry.err.Error()))}
	case !l.devicesOK:
		r.reply <- reply{err: fmt.Errorf("%w: %s", ErrNotReady, l.notReady())}
	default:
		l.nextAlways = time.Time{}
		r.reply <- reply{call: l.start(r.by)}
	}
}

// start starts a call on a goroutine of its own.
func (l *loop) start(by Trigger) CallStatus {
	l.calls++
	cs := CallStatus{ID: newCallID(), Trigger: by, Started: l.k.o.Now()}
	// The call ends when the loop hangs it up, even when the kiosk is
	// stopping: so it ends as hung up, with its files, whatever cancelled
	// the kiosk.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(l.ctx))
	l.call = &running{status: cs, cancel: cancel}
	l.k.o.Metrics.callsStarted.WithLabelValues(string(by)).Inc()
	l.setState(StateCalling)
	l.k.setStatus(func(s *Status) { c := cs; s.Call = &c; s.Calls = l.calls; s.Retry = nil })
	l.publishReady()
	go func() { l.done <- l.k.runCall(ctx, cs) }()
	return cs
}

// hangup ends the call; reply is answered once it is over.
func (l *loop) hangup(reply chan reply) {
	l.call.hungUp = true
	if reply != nil {
		l.call.waiters = append(l.call.waiters, reply)
	}
	l.call.cancel(errHungUp)
}

// ended takes a call's end: counts it, keeps what it says about the
// devices and credentials, and decides what comes next.
func (l *loop) ended(e ended) {
	c := l.call
	l.call = nil
	now := l.k.o.Now()
	c.cancel(nil)
	cs := c.status
	cs.Ended, cs.Room = now, e.res.Room
	reason := l.k.o.Metrics.callEnded(e.res, e.err, c.hungUp && e.err == nil, now)
	cs.Reason = e.res.Reason
	if e.err != nil {
		cs.Reason, cs.Error = EndFailed, redact.String(e.err.Error())
	}
	log := l.k.o.Log.With("call", cs.ID, "reason", reason, "duration", now.Sub(cs.Started).Round(10*time.Millisecond).String())
	if len(e.files) > 0 {
		log = log.With("files", e.files)
	}
	if e.err != nil {
		log.Warn("call failed", "kind", failure.KindOf(e.err).String(), "err", redact.String(e.err.Error()))
		l.k.setStatus(func(s *Status) {
			s.LastError = &ErrorStatus{Time: now, Kind: failure.KindOf(e.err).String(), Message: redact.String(e.err.Error())}
		})
	} else {
		log.Info("call ended")
	}
	l.k.setStatus(func(s *Status) { s.Call = nil; s.LastCall = &cs })
	for _, w := range c.waiters {
		w <- reply{call: cs}
	}

	switch {
	case e.deviceErr != nil:
		l.devicesOK, l.deviceErr = false, e.deviceErr
		l.retryLater(nil)
		l.nextProbe = now.Add(l.k.o.DeviceRetry)
	case e.err != nil && !e.reached && !c.hungUp && l.ctx.Err() == nil:
		// The call never reached the agent: the credentials, the server
		// or an agent that did not come. Try again, paced, rather than
		// give up or hammer.
		l.retryLater(&retrying{by: cs.Trigger, err: e.err})
		return
	default:
		l.retry = nil
	}
	if l.nextProbe.IsZero() && l.k.o.DeviceCheck > 0 {
		l.nextProbe = now.Add(l.k.o.DeviceCheck)
	}
	if l.k.o.AlwaysOn && !c.hungUp {
		l.nextAlways = now.Add(l.k.o.Pause)
	}
	l.settle()
}

// retryLater schedules the next attempt after a failed start, or gives up
// on a call someone asked for once its attempts are spent. A nil r only
// drops the retry.
func (l *loop) retryLater(r *retrying) {
	if r == nil {
		l.retry = nil
		return
	}
	n := 1
	if l.retry != nil {
		n = l.retry.attempt + 1
		r.by = l.retry.by
	}
	b := l.k.o.Retry
	if !l.k.o.AlwaysOn && r.by != TriggerAlwaysOn && n > b.Attempts {
		l.k.o.Log.Warn("giving up on the call", "attempts", n-1)
		l.retry = nil
		l.settle()
		return
	}
	r.attempt = n
	r.at = l.k.o.Now().Add(b.delay(n, r.err))
	l.retry = r
	l.k.o.Log.Info("call could not start; trying again", "attempt", n, "in", r.at.Sub(l.k.o.Now()).String())
	l.setState(StateRetrying)
	l.k.setStatus(func(s *Status) { s.Retry = &RetryStatus{Attempt: n, At: r.at} })
	l.publishReady()
}

// startProbe checks the devices on a goroutine (opening them can take a
// while, and the loop must go on answering), unless a call has them.
func (l *loop) startProbe() {
	if l.probing || l.call != nil {
		return
	}
	l.probing = true
	go func() { l.probeDone <- l.k.o.Devices.Check(l.ctx) }()
}

func (l *loop) probed(err error) {
	l.probing = false
	if l.ctx.Err() != nil {
		return
	}
	now := l.k.o.Now()
	was := l.devicesOK
	l.devicesOK, l.deviceErr = err == nil, err
	switch {
	case err != nil:
		if was || l.state == StateStarting {
			l.k.o.Log.Warn("the sound devices are not there; waiting for them", "err", redact.String(err.Error()))
		}
		l.nextProbe = now.Add(l.k.o.DeviceRetry)
	case !was:
		l.k.o.Log.Info("the sound devices are there")
		if l.readySent {
			// They had been lost and are back.
			l.k.o.Metrics.DeviceRestarted()
		}
		if l.k.o.DeviceCheck > 0 {
			l.nextProbe = now.Add(l.k.o.DeviceCheck)
		}
	default:
		if l.k.o.DeviceCheck > 0 {
			l.nextProbe = now.Add(l.k.o.DeviceCheck)
		}
	}
	if err == nil && !l.readySent {
		l.readySent = true
		l.notify(func(n Notifier) error { return n.Ready() })
		if l.k.o.AlwaysOn && l.nextAlways.IsZero() && l.calls == 0 {
			l.nextAlways = now
		}
	}
	if l.call == nil {
		l.settle()
	}
	pending := l.pending
	l.pending = nil
	for _, r := range pending {
		l.handle(r)
	}
}

// settle puts an idle kiosk in the state its devices and retries say.
func (l *loop) settle() {
	switch {
	case l.call != nil:
	case !l.devicesOK && l.deviceErr != nil:
		l.setState(StateWaitingForDevices)
	case !l.devicesOK:
		// Not checked yet: still starting.
	case l.retry != nil:
		l.setState(StateRetrying)
	default:
		l.setState(StateIdle)
	}
	l.publishReady()
}

// notReady says why no call can start now.
func (l *loop) notReady() string {
	switch {
	case l.state == StateStopping:
		return "stopping"
	case l.call != nil:
		return "a call is in progress"
	case !l.devicesOK && l.deviceErr != nil:
		return "the sound devices are missing: " + redact.String(l.deviceErr.Error())
	case !l.devicesOK:
		return "the sound devices have not been checked yet"
	case l.retry != nil:
		return "the last call could not start (" + redact.String(l.retry.err.Error()) + "); retrying"
	}
	if err := l.k.creds.err(); err != nil {
		return "the last request for credentials failed: " + redact.String(err.Error())
	}
	return ""
}

// publishReady updates what /readyz and /status say.
func (l *loop) publishReady() {
	why := l.notReady()
	ready := why == "" || l.call != nil
	if l.call != nil {
		why = ""
	}
	var missing string
	if !l.devicesOK && l.deviceErr != nil {
		missing = redact.String(l.deviceErr.Error())
	}
	l.k.setStatus(func(s *Status) {
		s.Ready, s.NotReady = ready, why
		if missing != "" || s.Devices != nil {
			s.Devices = &DeviceStatus{Missing: missing}
		}
		if l.retry == nil {
			s.Retry = nil
		}
	})
}

func (l *loop) setState(st State) {
	if l.state == st || l.state == StateStopping {
		// A stopping kiosk stays stopping, whatever its last call did.
		return
	}
	l.state = st
	now := l.k.o.Now()
	l.k.o.Metrics.setState(st)
	l.k.setStatus(func(s *Status) { s.State, s.Since = st, now })
	l.notify(func(n Notifier) error { return n.Status(string(st)) })
}

func (l *loop) notify(f func(Notifier) error) {
	if l.k.o.Notify == nil {
		return
	}
	if err := f(l.k.o.Notify); err != nil {
		l.k.o.Log.Debug("cannot notify the service manager", "err", err)
	}
}

// stop hangs up, waits for the call's files and for a device check under
// way, and says the kiosk is stopping.
func (l *loop) stop() {
	l.setState(StateStopping)
	l.notify(func(n Notifier) error { return n.Stopping() })
	l.publishReady()
	if l.call != nil {
		l.hangup(nil)
		l.ended(<-l.done)
	}
	if l.probing {
		<-l.probeDone
		l.probing = false
	}
	for _, r := range l.pending {
		r.reply <- reply{err: ErrStopping}
	}
	l.pending = nil
}
