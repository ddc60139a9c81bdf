package call

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/fakeclock"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/room"
)

// The harness runs a whole call (Run, its loop and its sender) against a
// fake room (fakes_test.go), on a fake clock that the test moves in steps.
// After each step it waits for the call's timers to be set again (the
// sender has sent its frame, the loop has taken its tick), then hands the
// loop an event the loop ignores: once the loop takes it, the loop has
// dealt with everything the step brought. So a test reads like the call it
// describes, and runs seconds of call in milliseconds, the same way every
// time.

// step is how far each step moves the clock: it divides the sender's
// 20 ms and the loop's 50 ms, so every tick falls on a step.
const step = 10 * time.Millisecond

// waitReal bounds real-time waits for the call's goroutines, as a guard
// against a hung test; nothing waits for it to pass.
const waitReal = 5 * time.Second

var t0 = time.Unix(1_000_000, 0)

// harness is one call under test.
type harness struct {
	t    *testing.T
	clk  *fakeclock.Clock
	room *fakeRoom

	// timers is how many timers the call keeps set while it runs: the
	// loop's tick, the sender's pacing, and the cap if there is one.
	timers int
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned
	res    Result
	err    error

	mu     sync.Mutex
	events []event.Event
	status []statusAt
	seen   int           // events already matched by expect
	notify chan struct{} // has an element when events may have grown
}

type statusAt struct {
	at  time.Duration // since t0
	msg string
}

// newHarness returns a harness whose call has not started, so that the
// test can make its input on the harness's clock first.
func newHarness(t *testing.T) *harness {
	clk := fakeclock.New(t, t0)
	return &harness{
		t:      t,
		clk:    clk,
		room:   &fakeRoom{clk: clk, events: make(chan room.Event)},
		done:   make(chan struct{}),
		notify: make(chan struct{}, 1),
	}
}

// start runs a call with o, filling in the clock, the room, the
// credentials and the event and status hooks. It returns once the loop and
// the sender are waiting on the clock.
func (h *harness) start(o Options, creds fakeCreds) {
	h.t.Helper()
	o.Clock = h.clk
	if o.Credentials == nil {
		o.Credentials = creds
	}
	if o.Join == nil {
		// A test of rejoins brings its own, with rooms of its own.
		o.Join = func(_ context.Context, cfg JoinConfig) (Room, error) {
			h.room.joined(cfg)
			return h.room, nil
		}
	}
	o.Events = h.onEvent
	o.Status = h.onStatus
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.t.Cleanup(cancel)
	go func() {
		defer close(h.done)
		h.res, h.err = Run(ctx, o)
		h.room.runReturned.Store(true)
	}()
	h.timers = 2
	if o.Text {
		h.timers = 1 // a text-only call has no sender pacing frames
	}
	if o.Timing.MaxDuration > 0 || creds.maxDuration > 0 {
		h.timers++
	}
	h.clk.WaitTimers(h.timers)
}

// mic is a live input on the harness's clock.
func (h *harness) mic() *fakeMic {
	return &fakeMic{paced: audio.PacedWithClock(audio.Silence(0), h.clk)}
}

func (h *harness) onEvent(e event.Event) {
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

func (h *harness) onStatus(msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = append(h.status, statusAt{h.clk.Now().Sub(t0), msg})
}

// elapsed is how far the clock has moved since the call began.
func (h *harness) elapsed() time.Duration { return h.clk.Now().Sub(t0) }

// send hands ev to the loop and returns once the loop has taken it.
func (h *harness) send(ev room.Event) {
	h.t.Helper()
	select {
	case h.room.events <- ev:
	case <-h.done:
		h.t.Fatalf("the call ended before it took %T", ev)
	}
}

// step moves the clock on by one step and waits until the call has dealt
// with what it brought: the sender has sent its frame and the loop has
// handled its tick. It returns false once the call is over.
func (h *harness) step() bool {
	h.clk.Advance(step)
	if !h.clk.WaitTimersOr(h.timers, h.done) {
		return false
	}
	select {
	case h.room.events <- room.AttributesChanged{Identity: "bystander"}: // not the agent: ignored
		return true
	case <-h.done:
		return false
	}
}

// stepFor steps through d of call time; it fails the test if the call
// ends meanwhile.
func (h *harness) stepFor(d time.Duration) {
	h.t.Helper()
	for end := h.clk.Now().Add(d); h.clk.Now().Before(end); {
		if !h.step() {
			h.t.Fatalf("the call ended at %v: %v", h.elapsed(), h.err)
		}
	}
}

// stepUntil steps until cond holds, for at most limit of call time.
func (h *harness) stepUntil(limit time.Duration, what string, cond func() bool) {
	h.t.Helper()
	for end := h.clk.Now().Add(limit); !cond(); {
		if !h.clk.Now().Before(end) {
			h.t.Fatalf("no %s after %v", what, limit)
		}
		if !h.step() {
			h.t.Fatalf("the call ended at %v before %s: %v", h.elapsed(), what, h.err)
		}
	}
}

// runToEnd steps until the call is over, for at most limit of call time,
// and returns when it ended, since the start.
func (h *harness) runToEnd(limit time.Duration) time.Duration {
	h.t.Helper()
	for end := h.clk.Now().Add(limit); h.step(); {
		if !h.clk.Now().Before(end) {
			h.t.Fatalf("the call still runs after %v", limit)
		}
	}
	return h.elapsed()
}

// wait waits for Run to return, without moving the clock.
func (h *harness) wait() {
	h.t.Helper()
	select {
	case <-h.done:
	case <-time.After(waitReal):
		h.t.Fatalf("Run did not return within %v", waitReal)
	}
}

// agentSpeaks plays d of the agent's speech into the call, as the room's
// decoder would, while the clock moves on. It returns when the last of it
// arrived.
func (h *harness) agentSpeaks(d time.Duration) (last time.Duration) {
	h.t.Helper()
	loud := make([]int16, audio.SampleRate*int(step/time.Millisecond)/1000)
	for i := range loud {
		loud[i] = int16(6000 * (1 - 2*(i%2)))
	}
	for end := h.clk.Now().Add(d); h.clk.Now().Before(end); {
		last = h.elapsed()
		_ = h.room.agentAudio().Write(loud)
		if !h.step() {
			h.t.Fatalf("the call ended at %v while the agent spoke: %v", h.elapsed(), h.err)
		}
	}
	return last
}

// hasEvent reports whether an event of type typ has been emitted.
func (h *harness) hasEvent(typ event.Type) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// expect waits for the next event of type typ after those expect already
// returned, and returns it.
func (h *harness) expect(typ event.Type) event.Event {
	h.t.Helper()
	timeout := time.After(waitReal)
	for {
		h.mu.Lock()
		for i := h.seen; i < len(h.events); i++ {
			if h.events[i].Type == typ {
				h.seen = i + 1
				e := h.events[i]
				h.mu.Unlock()
				return e
			}
		}
		h.mu.Unlock()
		select {
		case <-h.notify:
		case <-h.done:
			// Run may have emitted it on its way out.
			select {
			case <-h.notify:
				continue
			default:
			}
			h.t.Fatalf("the call ended without a %s event: %v", typ, h.err)
		case <-timeout:
			h.t.Fatalf("no %s event within %v", typ, waitReal)
		}
	}
}

// eventTypes returns the types of every event so far, in order.
func (h *harness) eventTypes() []event.Type {
	h.mu.Lock()
	defer h.mu.Unlock()
	var types []event.Type
	for _, e := range h.events {
		types = append(types, e.Type)
	}
	return types
}

// eventsAfter returns the events emitted after the first one of type typ.
func (h *harness) eventsAfter(typ event.Type) []event.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, e := range h.events {
		if e.Type == typ {
			return append([]event.Event(nil), h.events[i+1:]...)
		}
	}
	h.t.Fatalf("no %s event", typ)
	return nil
}

// statusesLike returns the status messages that contain sub.
func (h *harness) statusesLike(sub string) []statusAt {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []statusAt
	for _, s := range h.status {
		if strings.Contains(s.msg, sub) {
			out = append(out, s)
		}
	}
	return out
}

// agentJoins brings the agent into the room, in state.
func (h *harness) agentJoins(state string) {
	h.t.Helper()
	h.send(room.ParticipantJoined{Identity: "agent-1", Agent: true, Attributes: map[string]string{room.AttrAgentState: state}})
	h.expect(event.AgentJoined)
}

// agentState changes the agent's state.
func (h *harness) agentState(state string) {
	h.t.Helper()
	h.send(room.AttributesChanged{Identity: "agent-1", Agent: true, Changed: map[string]string{room.AttrAgentState: state}})
	h.expect(event.AgentState)
}

// misused says what the call did wrong with the fake room and input after
// Run returned, or "".
func (h *harness) misused(m *fakeMic) string {
	if v, ok := h.room.misuse.Load().(string); ok {
		return v
	}
	if m != nil {
		if v, ok := m.misuse.Load().(string); ok {
			return v
		}
	}
	return ""
}
