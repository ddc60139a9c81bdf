package call

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/token"
)

// rejoins is the Join of a call that may join several times: the first
// join gets the harness's room, each later one what its entry in later
// says: an error, or (nil) a new fake room that shares the harness's
// events channel, so that the harness's steps reach it.
type rejoins struct {
	h     *harness
	later []error

	mu    sync.Mutex
	joins int
	rooms []*fakeRoom
}

func (j *rejoins) join(_ context.Context, cfg JoinConfig) (Room, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.joins++
	if j.joins == 1 {
		j.h.room.joined(cfg)
		j.rooms = append(j.rooms, j.h.room)
		return j.h.room, nil
	}
	k := j.joins - 2
	if k < len(j.later) && j.later[k] != nil {
		return nil, j.later[k]
	}
	r := &fakeRoom{clk: j.h.clk, events: j.h.room.events}
	r.joined(cfg)
	j.rooms = append(j.rooms, r)
	return r, nil
}

func (j *rejoins) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.joins
}

// gapStep is step for a call that may be without a room: the loop then
// reads no room events, so the step is handed over as an empty typed line
// (which the call ignores) on chat. false once the call is over.
func (h *harness) gapStep(chat chan string) bool {
	h.clk.Advance(step)
	if !h.clk.WaitTimersOr(h.timers, h.done) {
		return false
	}
	select {
	case chat <- "":
		return true
	case <-h.done:
		return false
	}
}

// gapStepFor is gapStep through d of call time; false if the call ended.
func (h *harness) gapStepFor(chat chan string, d time.Duration) bool {
	for end := h.clk.Now().Add(d); h.clk.Now().Before(end); {
		if !h.gapStep(chat) {
			return false
		}
	}
	return true
}

// connectionStates are the states of the call's connection events so far.
func (h *harness) connectionStates() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		if e.Type == event.Connection {
			out = append(out, e.State)
		}
	}
	return out
}

func (h *harness) connectionEvents(state string) []event.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []event.Event
	for _, e := range h.events {
		if e.Type == event.Connection && e.State == state {
			out = append(out, e)
		}
	}
	return out
}

// The SDK's recovery is bounded: a room still reconnecting after
// RecoverTimeout is lost, and without a policy the call ends with a
// Connect error that says the server went away, its room closed and the
// gap in its result.
func TestRecoveryBoundEndsTheCall(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	chat := make(chan string)
	h.start(Options{Input: h.mic(), Chat: chat}, fakeCreds{})
	h.agentJoins("listening")
	h.stepFor(time.Second)
	h.send(room.ConnectionChanged{State: event.ConnReconnecting})
	// A failed resume becomes a full reconnect: one outage, told once.
	h.send(room.ConnectionChanged{State: event.ConnReconnecting})
	// The full reconnect reports everyone gone; that does not end the call.
	h.send(room.ParticipantLeft{Identity: "agent-1", Agent: true})
	down := h.elapsed()
	if !h.gapStepFor(chat, DefaultTiming.RecoverTimeout-step) {
		t.Fatalf("the call ended %v into the outage, before the recover timeout: %v", h.elapsed()-down, h.err)
	}
	if h.gapStepFor(chat, 5*step) {
		t.Fatalf("the call still runs %v into the outage", h.elapsed()-down)
	}
	h.wait()
	if !errors.Is(h.err, ErrConnectionLost) || failure.KindOf(h.err) != failure.Connect {
		t.Fatalf("Run: %v, want a Connect error for the lost connection", h.err)
	}
	if msg := h.err.Error(); !strings.Contains(msg, "lost the connection to ws://fake.invalid") || !strings.Contains(msg, "did not answer for 15s") {
		t.Errorf("error %q does not say the server went away", msg)
	}
	if got := strings.Join(h.connectionStates(), ","); got != "reconnecting,lost" {
		t.Errorf("connection states %s, want reconnecting,lost", got)
	}
	if h.hasEvent(event.AgentLeft) {
		t.Error("the agent's going in the SDK's reconnect was told as the agent leaving")
	}
	if !h.room.isClosed() {
		t.Error("the lost room was not closed")
	}
	if len(h.res.Gaps) != 1 || h.res.Gaps[0].Start != down || h.res.Gaps[0].End < down+DefaultTiming.RecoverTimeout {
		t.Errorf("gaps %+v, want one from %v to the end", h.res.Gaps, down)
	}
	if m := h.misused(nil); m != "" {
		t.Error(m)
	}
}

// The SDK reports the room disconnected while it reconnects (it gave up
// by itself): the room is lost at once.
func TestDisconnectedWhileReconnectingIsLost(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Input: h.mic()}, fakeCreds{})
	h.agentJoins("listening")
	h.send(room.ConnectionChanged{State: event.ConnReconnecting})
	h.send(room.Disconnected{Reason: "signal closed"})
	h.wait()
	if !errors.Is(h.err, ErrConnectionLost) || !strings.Contains(h.err.Error(), "gave up reconnecting (signal closed)") {
		t.Fatalf("Run: %v, want the lost connection", h.err)
	}
}

// A recovery within the bound ends the outage: reconnected carries the
// gap, the call goes on, the gap is in the result.
func TestReconnectedEndsTheOutage(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Input: h.mic()}, fakeCreds{})
	h.agentJoins("listening")
	h.send(room.ConnectionChanged{State: event.ConnReconnecting})
	h.stepFor(3 * time.Second)
	h.send(room.ConnectionChanged{State: event.ConnReconnected})
	if e := h.expect(event.Connection); e.State != event.ConnReconnecting {
		t.Fatalf("first connection event %+v", e)
	}
	if e := h.expect(event.Connection); e.State != event.ConnReconnected || e.GapMS < 2990 || e.GapMS > 3010 {
		t.Fatalf("reconnected event %+v, want gap_ms 3000", e)
	}
	h.stepFor(DefaultTiming.RecoverTimeout)
	h.cancel()
	h.wait()
	if len(h.res.Gaps) != 1 || h.res.Gaps[0].End-h.res.Gaps[0].Start < 3*time.Second-step {
		t.Errorf("gaps %+v, want one of 3s", h.res.Gaps)
	}
}

// While the connection is down the call's own waits stand still: an agent
// that has not come yet, or a reply not yet begun, is not blamed for the
// outage. Each wait goes on where it was once the connection is back.
func TestTimeoutsFrozenWhileReconnecting(t *testing.T) {
	t.Run("wait for the agent", func(t *testing.T) {
		defer leaktest.Check(t)()
		h := newHarness(t)
		h.start(Options{Input: h.mic(), Timing: Timing{WaitAgent: 3 * time.Second}}, fakeCreds{})
		h.stepFor(time.Second)
		h.send(room.ConnectionChanged{State: event.ConnReconnecting})
		h.stepFor(10 * time.Second)
		h.send(room.ConnectionChanged{State: event.ConnReconnected})
		back := h.elapsed()
		end := h.runToEnd(5 * time.Second)
		if !errors.Is(h.err, ErrNoAgent) {
			t.Fatalf("Run: %v, want no agent", h.err)
		}
		// 1 s before the outage, 2 s after it: 3 s of connection.
		if d := end - back; d < 2*time.Second || d > 2*time.Second+100*time.Millisecond {
			t.Errorf("no agent declared %v after the connection was back, want 2s", d)
		}
	})
	t.Run("wait for a reply", func(t *testing.T) {
		defer leaktest.Check(t)()
		h := newHarness(t)
		h.start(Options{File: clip(time.Second), Timing: Timing{ReplyTimeout: 5 * time.Second}}, fakeCreds{})
		h.agentJoins("listening")
		h.stepUntil(10*time.Second, "input_done", func() bool { return h.hasEvent(event.InputDone) })
		h.stepFor(time.Second)
		h.send(room.ConnectionChanged{State: event.ConnReconnecting})
		h.stepFor(10 * time.Second)
		h.send(room.ConnectionChanged{State: event.ConnReconnected})
		back := h.elapsed()
		end := h.runToEnd(10 * time.Second)
		if failure.KindOf(h.err) != failure.Check {
			t.Fatalf("Run: %v, want no reply", h.err)
		}
		// The last voiced frame went out just before input_done; 1 s
		// after it the outage began, so 4 s remain after it.
		if d := end - back; d < 3800*time.Millisecond || d > 4100*time.Millisecond {
			t.Errorf("no reply declared %v after the connection was back, want about 4s", d)
		}
	})
}

// With a policy, a lost room is joined again: each attempt told with its
// number and delay, a failed one followed by the next, the microphone
// published in the new room, the lost room closed and written to no more,
// and the call goes on there.
func TestRejoinAfterLoss(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	j := &rejoins{h: h, later: []error{failure.New(failure.Connect, "could not connect to ws://fake.invalid")}}
	chat := make(chan string)
	half := func() float64 { return 0.5 } // no jitter
	h.start(Options{Input: h.mic(), Chat: chat, Join: j.join, Reconnect: &Reconnect{MaxAttempts: 3, Rand: half},
		Timing: Timing{RecoverTimeout: 2 * time.Second}}, fakeCreds{})
	h.agentJoins("listening")
	h.send(room.ConnectionChanged{State: event.ConnReconnecting})
	for j.count() < 3 {
		if !h.gapStep(chat) {
			t.Fatalf("the call ended at %v: %v", h.elapsed(), h.err)
		}
		if h.elapsed() > time.Minute {
			t.Fatal("no rejoin within a minute")
		}
	}
	rejoined := h.expectState(event.ConnRejoined)
	if got := strings.Join(h.connectionStates(), ","); got != "reconnecting,lost,rejoining,rejoining,rejoined" {
		t.Errorf("connection states %s", got)
	}
	attempts := h.connectionEvents(event.ConnRejoining)
	for i, want := range []int64{500, 1000} {
		if e := attempts[i]; e.Attempt != i+1 || e.MaxAttempts != 3 || e.DelayMS != want {
			t.Errorf("attempt %d: %+v, want delay %d ms of 3 attempts", i+1, e, want)
		}
	}
	// Lost at 2 s (noticed at the next tick), then 0.5 s, a failed
	// attempt, 1 s.
	if rejoined.GapMS < 3500 || rejoined.GapMS > 3500+tickEvery.Milliseconds() {
		t.Errorf("rejoined after %d ms without a connection, want 3500", rejoined.GapMS)
	}
	second := j.rooms[1]
	before := second.frameCount()
	h.agentJoins("listening")
	h.stepFor(time.Second)
	if got := second.frameCount() - before; got < 45 {
		t.Errorf("%d frames went to the new room in a second, want 50", got)
	}
	if !h.room.isClosed() {
		t.Error("the lost room was not closed")
	}
	h.cancel()
	h.wait()
	if m := h.misused(nil); m != "" {
		t.Error(m) // a frame written to the lost room after its Close
	}
	if gap := h.res.Gaps; h.res.Rejoins != 1 || len(gap) != 1 || gap[0].End-gap[0].Start != time.Duration(rejoined.GapMS)*time.Millisecond {
		t.Errorf("rejoins %d, gaps %+v: want one rejoin after a gap of 3.5s", h.res.Rejoins, h.res.Gaps)
	}
	if len(h.statusesLike("rejoined room test-room")) != 1 {
		t.Error("no status line for the rejoin")
	}
}

// expectState waits for the next connection event in state.
func (h *harness) expectState(state string) event.Event {
	h.t.Helper()
	for {
		if e := h.expect(event.Connection); e.State == state {
			return e
		}
	}
}

// A policy's bounds end the call with what was tried: its attempts, or
// its time (an attempt whose delay would pass MaxTime is not made).
func TestRejoinBounds(t *testing.T) {
	refused := failure.New(failure.Connect, "could not connect to ws://fake.invalid: connection refused")
	for _, c := range []struct {
		name     string
		policy   Reconnect
		attempts int
		tried    string
	}{
		{"attempts", Reconnect{MaxAttempts: 3}, 3, "3 attempts"},
		// 0.5 + 1 + 2 s fit in 4 s; 4 s more would not.
		{"time", Reconnect{MaxAttempts: 10, MaxTime: 4 * time.Second}, 3, "3 attempts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer leaktest.Check(t)()
			h := newHarness(t)
			j := &rejoins{h: h, later: []error{refused, refused, refused, refused, refused, refused, refused, refused, refused, refused}}
			chat := make(chan string)
			c.policy.Rand = func() float64 { return 0.5 }
			h.start(Options{Input: h.mic(), Chat: chat, Join: j.join, Reconnect: &c.policy, Timing: Timing{RecoverTimeout: time.Second}}, fakeCreds{})
			h.agentJoins("listening")
			h.send(room.ConnectionChanged{State: event.ConnReconnecting})
			if h.gapStepFor(chat, time.Minute) {
				t.Fatal("the call still runs a minute after the loss")
			}
			h.wait()
			if !errors.Is(h.err, ErrRejoinFailed) || failure.KindOf(h.err) != failure.Connect {
				t.Fatalf("Run: %v, want a Connect error for the failed rejoin", h.err)
			}
			if msg := h.err.Error(); !strings.Contains(msg, c.tried) || !strings.Contains(msg, "connection refused") {
				t.Errorf("error %q does not say what was tried and the last reason", msg)
			}
			if got := j.count() - 1; got != c.attempts {
				t.Errorf("%d attempts, want %d", got, c.attempts)
			}
		})
	}
}

// A refusal of the credentials at a rejoin ends the call at once, as an
// auth failure: another attempt would be refused the same way. A ready
// token says it cannot be renewed.
func TestAuthRefusedAtRejoin(t *testing.T) {
	for _, c := range []struct {
		name   string
		source token.Source
		renew  bool // the error says the token cannot be renewed
	}{
		{"a source that renews", nil, false},
		{"a ready token", token.Static{URL: "ws://fake.invalid", Token: fakeToken}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer leaktest.Check(t)()
			h := newHarness(t)
			refused := failure.New(failure.Auth, "the server at ws://fake.invalid refused the token")
			j := &rejoins{h: h, later: []error{refused}}
			chat := make(chan string)
			h.start(Options{Input: h.mic(), Chat: chat, Join: j.join, Credentials: c.source,
				Reconnect: &Reconnect{}, Timing: Timing{RecoverTimeout: time.Second}}, fakeCreds{})
			h.agentJoins("listening")
			h.send(room.ConnectionChanged{State: event.ConnReconnecting})
			if h.gapStepFor(chat, 10*time.Second) {
				t.Fatal("the call still runs 10s after the loss")
			}
			h.wait()
			if failure.KindOf(h.err) != failure.Auth || j.count() != 2 {
				t.Fatalf("Run: %v after %d joins, want an auth failure after one rejoin", h.err, j.count())
			}
			if got := errors.Is(h.err, token.ErrCannotRenew); got != c.renew {
				t.Errorf("error %q: cannot-renew %v, want %v", h.err, got, c.renew)
			}
		})
	}
}

// Each attempt waits twice as long as the one before, from FirstDelay to
// MaxDelay, moved by up to ±Jitter of itself.
func TestRejoinDelays(t *testing.T) {
	at := func(v float64) Reconnect { return Reconnect{Rand: func() float64 { return v }} }
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		n := i + 1
		if got := at(0.5).Delay(n); got != w {
			t.Errorf("attempt %d: %v, want %v", n, got, w)
		}
		if got, low := at(0).Delay(n), time.Duration(float64(w)*0.8); got != low {
			t.Errorf("attempt %d at the low end of the jitter: %v, want %v", n, got, low)
		}
		if got, high := at(0.999999).Delay(n), time.Duration(float64(w)*1.2); got < high-time.Millisecond || got > high {
			t.Errorf("attempt %d at the high end of the jitter: %v, want about %v", n, got, high)
		}
	}
	if d := (Reconnect{FirstDelay: time.Second, MaxDelay: 3 * time.Second, Rand: func() float64 { return 0.5 }}).Delay(5); d != 3*time.Second {
		t.Errorf("capped delay %v, want 3s", d)
	}
}
