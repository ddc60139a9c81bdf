package call

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/token"
)

// What a call does when its connection fails.
//
// The LiveKit SDK recovers by itself first: on a broken connection it
// resumes (same session) and then reconnects in full with the same token,
// up to ten times with growing pauses, which takes about a minute plus the
// connect timeouts before it gives up. A call cannot wait that long
// without a word, and must not blame the agent for the silence. So, from
// the first "reconnecting":
//
//   - the call's own clocks stop: the waits for the agent, for it to be
//     ready, for a reply and for typed lines count only the time with a
//     connection (waited), so nothing times out because of the outage;
//   - after Timing.RecoverTimeout without "reconnected" (or as soon as the
//     SDK reports the room disconnected) the room is lost: the call leaves
//     it, which also stops the SDK's retries;
//   - without a Reconnect policy the call then ends with a Connect error
//     that says the server went away; with one it joins again with fresh
//     credentials from the same Source (rejoin), with backoff, within its
//     bounds.
//
// The time without a connection is a gap on the call's timeline
// (Result.Gaps): the sender goes on feeding the recorder, and drops the
// frames it cannot send, so that a recording and its captions stay on one
// timeline across the gap.

// Reconnect is the policy of a call that lost its room. Zero fields take
// the values of DefaultReconnect.
type Reconnect struct {
	// MaxAttempts bounds the joins tried after a loss.
	MaxAttempts int
	// MaxTime bounds the time spent rejoining, from the loss.
	MaxTime time.Duration
	// FirstDelay is the wait before the first attempt; each later one
	// waits twice as long, up to MaxDelay, give or take Jitter (a
	// fraction) so that many clients cut off at once do not all come
	// back at the same moment.
	FirstDelay time.Duration
	MaxDelay   time.Duration
	Jitter     float64
	// Rand returns a number in [0, 1) for the jitter; nil means
	// math/rand/v2. Tests pass their own.
	Rand func() float64
}

// DefaultReconnect is the policy's defaults.
var DefaultReconnect = Reconnect{
	MaxAttempts: 6,
	MaxTime:     2 * time.Minute,
	FirstDelay:  500 * time.Millisecond,
	MaxDelay:    10 * time.Second,
	Jitter:      0.2,
}

func (r Reconnect) withDefaults() Reconnect {
	d := DefaultReconnect
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = d.MaxAttempts
	}
	if r.MaxTime <= 0 {
		r.MaxTime = d.MaxTime
	}
	if r.FirstDelay <= 0 {
		r.FirstDelay = d.FirstDelay
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = d.MaxDelay
	}
	if r.Jitter < 0 {
		r.Jitter = 0
	}
	if r.Jitter == 0 {
		r.Jitter = d.Jitter
	}
	if r.Rand == nil {
		r.Rand = rand.Float64
	}
	return r
}

// Delay is the wait before attempt n (from 1): FirstDelay doubled n-1
// times, at most MaxDelay, then moved by up to ±Jitter of itself.
func (r Reconnect) Delay(n int) time.Duration {
	r = r.withDefaults()
	d := r.FirstDelay
	for i := 1; i < n && d < r.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, r.MaxDelay)
	return time.Duration(float64(d) * (1 + r.Jitter*(2*r.Rand()-1)))
}

// Gap is a stretch of the call without a connection, as offsets from the
// call's time zero. A call that ended without a connection has its last
// gap end with it.
type Gap struct {
	Start, End time.Duration
}

// gapAt is a gap in clock time, while the call runs.
type gapAt struct{ start, end time.Time }

// link is the state of the call's connection.
type link struct {
	rm    Room
	creds token.Credentials
	// joinedAt is when the current room was joined: the wait for the
	// agent counts from it.
	joinedAt time.Time
	// down is when the current outage began; zero while connected.
	down time.Time
	// lost: the room was left, and the call is rejoining (or ending),
	// since lostAt.
	lost   bool
	lostAt time.Time
	// attempt is the number of the last rejoin attempt made.
	attempt int
	retry   <-chan time.Time
	timer   interface{ Stop() }
	lastErr error
	// afterRejoin: the next turn of a script waits for the agent to be
	// ready, as the first one does.
	afterRejoin bool
}

// outage says whether the call is without a working connection now.
func (c *call) outage() bool { return !c.link.down.IsZero() }

// waited is how long the call has been connected since t: now - t, less
// every gap (and the current outage) in between. The call's timeouts
// compare it, so that no wait runs out while the connection is down.
func (c *call) waited(t, now time.Time) time.Duration {
	d := now.Sub(t)
	cut := func(from, to time.Time) {
		if to.IsZero() || to.After(now) {
			to = now
		}
		if from.Before(t) {
			from = t
		}
		if to.After(from) {
			d -= to.Sub(from)
		}
	}
	for _, g := range c.gaps {
		cut(g.start, g.end)
	}
	if c.outage() {
		cut(c.link.down, now)
	}
	return max(d, 0)
}

// connectionChanged takes the SDK's own recovery: reconnecting starts an
// outage, reconnected ends it.
func (c *call) connectionChanged(now time.Time, state string) {
	switch state {
	case event.ConnReconnecting:
		if c.outage() {
			// A resume that failed becomes a full reconnect: the same
			// outage, told once.
			return
		}
		c.link.down = now
		c.emit(event.Event{Type: event.Connection, State: state})
		then := "the call ends"
		if c.o.Reconnect != nil {
			then = "webcall joins again"
		}
		c.o.Status(fmt.Sprintf("connection reconnecting (%s if it has not recovered within %s)", then, c.timing.RecoverTimeout))
	case event.ConnReconnected:
		if !c.outage() || c.link.lost {
			return
		}
		gap := c.closeGap(now)
		c.emit(event.Event{Type: event.Connection, State: state, GapMS: gap.Milliseconds()})
		c.o.Status(fmt.Sprintf("connection reconnected after %s", gap.Round(100*time.Millisecond)))
	default:
		c.emit(event.Event{Type: event.Connection, State: state})
		c.o.Status("connection " + state)
	}
}

// closeGap ends the current outage at now, keeps it as a gap and returns
// its length.
func (c *call) closeGap(now time.Time) time.Duration {
	g := gapAt{start: c.link.down, end: now}
	c.gaps = append(c.gaps, g)
	c.link.down = time.Time{}
	return g.end.Sub(g.start)
}

// checkRecovery loses the room once the SDK has tried for RecoverTimeout.
func (c *call) checkRecovery(now time.Time) error {
	if !c.outage() || c.link.lost || now.Sub(c.link.down) < c.timing.RecoverTimeout {
		return nil
	}
	return c.lose(now, fmt.Sprintf("the server did not answer for %s while reconnecting", c.timing.RecoverTimeout))
}

// lose leaves the room whose connection is gone, and either ends the call
// (no policy) or begins to rejoin.
func (c *call) lose(now time.Time, why string) error {
	if !c.outage() {
		c.link.down = now
	}
	c.link.lost, c.link.lostAt = true, now
	url := c.link.creds.URL
	c.emit(event.Event{Type: event.Connection, State: event.ConnLost, Message: why})
	c.o.Status(fmt.Sprintf("lost the connection to %s: %s", url, why))
	c.leaveRoom(now)
	if c.o.Reconnect == nil {
		c.result.Reason = "lost the connection to the server"
		return failure.Newf(failure.Connect, "lost the connection to %s: %s", url, why).WithCond(ErrConnectionLost).
			WithHint("the server went away or the network failed; the output files hold everything received until then. A call that rejoins with fresh credentials could go on")
	}
	switch token.RenewalOf(c.o.Credentials) {
	case token.RenewSameRoom:
		c.o.Status(fmt.Sprintf("rejoining with a fresh token for room %s", c.link.creds.Room))
	case token.RenewNone:
		until := "with no expiry"
		if !c.link.creds.ExpiresAt.IsZero() {
			until = "valid until " + c.link.creds.ExpiresAt.Local().Format("15:04:05")
		}
		c.o.Status("a ready token cannot be renewed: rejoining with the same token, " + until)
	case token.RenewEndpoint:
		c.o.Status("rejoining with a fresh token from the token endpoint (it may hand out another room)")
	case token.RenewNewCall:
		provider := c.link.creds.Provider
		if provider == "" {
			provider = "the provider"
		}
		c.o.Status(fmt.Sprintf("%s creates a new call for each rejoin (it counts against %s's limit of concurrent calls)", provider, provider))
	}
	return c.scheduleRejoin(now)
}

// leaveRoom closes the lost room. Its captions in flight are settled as
// they stand, the sender drops frames until a room is joined again, and
// the agent is gone with the room.
func (c *call) leaveRoom(now time.Time) {
	if c.snd != nil {
		c.snd.setTrack(nil)
	}
	if c.link.rm != nil {
		c.link.rm.Close()
		c.link.rm = nil
	}
	c.applyChanges(c.store.Flush(now))
	// Whoever speaks in the next room starts afresh: ids it reuses are
	// its own segments (transcript.Store.NewSession).
	c.store.NewSession()
	clear(c.agent.openStreams)
	c.agent.present, c.agent.identity, c.agent.state = false, "", ""
}

// scheduleRejoin sets the timer of the next attempt, or ends the call
// when the policy's bounds are spent.
func (c *call) scheduleRejoin(now time.Time) error {
	p := c.o.Reconnect.withDefaults()
	n := c.link.attempt + 1
	delay := p.Delay(n)
	spent := now.Sub(c.link.lostAt)
	if n > p.MaxAttempts || spent+delay > p.MaxTime {
		tried := fmt.Sprintf("%d attempts in %s", c.link.attempt, spent.Round(100*time.Millisecond))
		if c.link.attempt == 1 {
			tried = fmt.Sprintf("1 attempt in %s", spent.Round(100*time.Millisecond))
		}
		c.result.Reason = "lost the connection to the server"
		msg := fmt.Sprintf("lost the connection to %s and could not rejoin (%s)", c.link.creds.URL, tried)
		const hint = "the server stayed out of reach: check that it runs and the network; the output files hold everything received until the connection was lost"
		if c.link.lastErr != nil {
			return failure.Wrap(failure.Connect, c.link.lastErr, msg).WithCond(ErrRejoinFailed).WithHint(hint)
		}
		return failure.New(failure.Connect, msg).WithCond(ErrRejoinFailed).WithHint(hint)
	}
	if exp := c.link.creds.ExpiresAt; token.RenewalOf(c.o.Credentials) == token.RenewNone && !exp.IsZero() && !now.Add(delay).Before(exp) {
		// The same token again, expired by the time of the attempt:
		// waiting for it would only delay the same answer.
		c.result.Reason = "the credentials to rejoin were refused"
		return token.CannotRenew(failure.Newf(failure.Auth, "the token expires at %s, before the next attempt to rejoin", exp.UTC().Format("15:04:05 MST")).
			WithCond(token.ErrTokenExpired))
	}
	c.link.attempt = n
	c.emit(event.Event{Type: event.Connection, State: event.ConnRejoining, Attempt: n, MaxAttempts: p.MaxAttempts, DelayMS: delay.Milliseconds()})
	c.o.Status(fmt.Sprintf("rejoining (%d/%d) in %s", n, p.MaxAttempts, delay.Round(100*time.Millisecond)))
	t := c.clock.NewTimer(delay)
	c.link.retry, c.link.timer = t.C(), t
	return nil
}

// rejoin makes one attempt: fresh credentials, a join, the microphone
// published again. A failure that another attempt may cure schedules one;
// a refusal of the credentials ends the call at once.
func (c *call) rejoin(ctx context.Context, now time.Time) error {
	c.link.retry, c.link.timer = nil, nil
	renewal := token.RenewalOf(c.o.Credentials)
	creds, err := token.FetchRejoin(ctx, c.o.Credentials, c.link.creds)
	if err == nil {
		if c.o.OnCredentials != nil {
			c.o.OnCredentials(creds)
		}
		err = token.CheckExpiry(creds.Token, c.now())
	}
	if err == nil {
		var rm Room
		if rm, err = c.join(ctx, creds); err == nil {
			return c.rejoined(ctx, creds, rm)
		}
	}
	if ctx.Err() != nil {
		return c.interruptedOr(ctx, err)
	}
	switch failure.KindOf(err) {
	case failure.Auth:
		if renewal == token.RenewNone && !errors.Is(err, token.ErrCannotRenew) {
			err = token.CannotRenew(err)
		}
		c.result.Reason = "the credentials to rejoin were refused"
		return err
	case failure.Connect, failure.Busy, failure.Internal:
		c.link.lastErr = err
		c.o.Status(fmt.Sprintf("rejoin attempt %d failed: %v", c.link.attempt, err))
		return c.scheduleRejoin(c.now())
	default:
		c.result.Reason = "could not rejoin"
		return err
	}
}

// rejoined takes up the call in the room joined again.
func (c *call) rejoined(ctx context.Context, creds token.Credentials, rm Room) error {
	now := c.now()
	if !c.o.Text {
		track, err := rm.PublishMicrophone()
		if err != nil {
			rm.Close()
			if ctx.Err() != nil {
				return c.interruptedOr(ctx, err)
			}
			c.link.lastErr = err
			return c.scheduleRejoin(now)
		}
		// The script is taken up again first, so that the rest of a
		// clip the outage cut never reaches the new room.
		c.replan(now)
		c.snd.setTrack(track)
	} else {
		c.replan(now)
	}
	c.link.rm, c.link.creds, c.link.joinedAt = rm, creds, now
	c.link.lost, c.link.attempt, c.link.lastErr = false, 0, nil
	gap := c.closeGap(now)
	c.result.Rejoins++
	c.emit(event.Event{Type: event.Connection, State: event.ConnRejoined, Room: rm.Name(), GapMS: gap.Milliseconds()})
	c.o.Status(fmt.Sprintf("rejoined room %s as %s after %s without a connection", rm.Name(), rm.Identity(), gap.Round(100*time.Millisecond)))
	c.o.Status("waiting for the agent")
	return nil
}

// replan takes a script up again after a rejoin. The agent of the lost
// room is gone, with whatever it had heard: a turn whose reply had not
// begun is said again, from its start, once the new agent is ready; a
// turn whose reply had begun counts as answered (saying it again would
// only get the same answer twice).
func (c *call) replan(now time.Time) {
	c.link.afterRejoin = true
	p := c.plan
	if p == nil {
		return
	}
	cur := p.current()
	if cur == nil || cur.over {
		return
	}
	if cur.sent && !c.meter.OnsetAfter(cur.speechEnd).IsZero() {
		cur.over = true
		return
	}
	k := len(p.runs) - 1
	c.script.stop()
	p.runs, p.next = p.runs[:k], k
	label := fmt.Sprintf("turn %d of %d", k+1, len(p.turns))
	if c.o.File != nil {
		label = "the input"
	}
	c.o.Status(fmt.Sprintf("the lost connection cut %s short: saying it again once the agent is ready", label))
}

// stopRetry stops a pending attempt's timer.
func (c *call) stopRetry() {
	if c.link.timer != nil {
		c.link.timer.Stop()
	}
}

// resultGaps are the call's gaps as offsets; an outage still open at the
// end of the call ends there.
func (c *call) resultGaps(end time.Time) []Gap {
	var out []Gap
	for _, g := range c.gaps {
		out = append(out, Gap{Start: c.since(g.start), End: c.since(g.end)})
	}
	if c.outage() {
		out = append(out, Gap{Start: c.since(c.link.down), End: c.since(end)})
	}
	return out
}
