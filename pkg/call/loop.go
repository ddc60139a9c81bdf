package call

import (
	"context"
	"fmt"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// tickEvery is how often the loop re-checks time-based conditions (end of
// reply, agent wait, held captions). It bounds how late those decisions
// are, not how precise the measured times are: those come from the audio
// path itself.
const tickEvery = 50 * time.Millisecond

// agentTracker is what the call knows about the agent.
type agentTracker struct {
	present  bool
	identity string
	name     string
	state    string
	joinedAt time.Time
	// openStreams are the agent's caption streams not yet closed: its
	// reply is not over while one is still being written.
	openStreams map[string]bool
	// lastText is when the agent's captions or chat last moved: a reply
	// given in text only is judged by it.
	lastText time.Time
}

func (c *call) loop(ctx context.Context, joinedAt time.Time, maxDur time.Duration, s *sender) error {
	// A timer set again at each tick stands in for a ticker: the clock
	// has timers only.
	tick := c.clock.NewTimer(tickEvery)
	defer tick.Stop()
	var maxTimer <-chan time.Time
	if maxDur > 0 {
		t := c.clock.NewTimer(maxDur - c.now().Sub(joinedAt))
		defer t.Stop()
		maxTimer = t.C()
	}
	c.agent.openStreams = map[string]bool{}
	lastWaitNote := joinedAt
	if c.plan == nil {
		c.o.Status("waiting for the agent; press Ctrl-C to hang up")
	} else {
		c.o.Status("waiting for the agent")
	}

	var left countdown
	for {
		// No room between a lost one and a rejoin: nothing to hear.
		rm := c.link.rm
		var events <-chan room.Event
		if rm != nil {
			events = rm.Events()
		}
		select {
		case <-ctx.Done():
			c.result.Reason = ReasonHangup
			return failure.Wrap(failure.Interrupted, ctx.Err(), "interrupted")

		case <-s.done:
			// The sender stops by itself only when its input failed (a
			// microphone that vanished) or the call is being hung up.
			if ctx.Err() != nil {
				c.result.Reason = ReasonHangup
				return failure.Wrap(failure.Interrupted, ctx.Err(), "interrupted")
			}
			return s.err

		case <-maxTimer:
			c.result.Reason = ReasonMaxDuration
			c.o.Status(fmt.Sprintf("ending the call: %s (%s)", ReasonMaxDuration, maxDur))
			return nil

		case m := <-s.marks:
			c.onMark(m)

		case line, ok := <-c.chat.in:
			c.typed(rm, line, ok)

		case <-c.link.retry:
			if err := c.rejoin(ctx, c.now()); err != nil {
				return err
			}
			lastWaitNote = c.now()

		case ev, ok := <-events:
			if !ok {
				return nil
			}
			if err := c.handle(ev); err != nil {
				return err
			}
			if c.ended {
				return nil
			}

		case <-tick.C():
			tick.Reset(tickEvery)
			now := c.now()
			c.applyChanges(c.store.Tick(now))
			c.checkPlayout(now)
			if c.countdown {
				if msg := left.note(maxDur - now.Sub(joinedAt)); msg != "" {
					c.o.Status(msg)
				}
			}
			if err := c.checkRecovery(now); err != nil {
				return err
			}
			if c.outage() {
				// Nothing is decided without a connection: the waits
				// resume, where they were, once it is back.
				continue
			}

			if !c.agent.present {
				if c.waited(c.link.joinedAt, now) >= c.timing.WaitAgent {
					return failure.Newf(failure.NoAgent, "no agent joined room %s within %s", rm.Name(), c.timing.WaitAgent).
						WithCond(ErrNoAgent).WithHint("check that the agent is running and dispatched to this room, or wait longer for it")
				}
				if now.Sub(lastWaitNote) >= 5*time.Second {
					lastWaitNote = now
					c.o.Status(fmt.Sprintf("still waiting for the agent (%s)", c.waited(c.link.joinedAt, now).Round(time.Second)))
				}
				continue
			}
			c.flushChat(now, rm)
			if c.chatDone(now) {
				c.result.Reason = ReasonChatDone
				return nil
			}
			if c.plan == nil {
				continue
			}
			if c.advance(now, rm) {
				c.result.Reason = ReasonReplyOver
				if last := c.plan.current(); c.o.File != nil && last.timedOut {
					c.result.Reason = ReasonNoReply
					return failure.Newf(failure.Check, "the agent did not reply within %s of the end of the input", c.replyTimeout(last.turn)).
						WithHint("check the agent's logs; the transcript above shows what it heard")
				}
				return nil
			}
		}
	}
}

// readyToListen says whether a file can be sent: the agent has settled in
// (agents that greet start speaking a moment after joining, still showing
// "listening"), is listening, and has finished any greeting. Agents that
// never get ready are spoken to anyway after ReadyTimeout.
func (c *call) readyToListen(now time.Time) bool {
	since := c.waited(c.agent.joinedAt, now)
	if since >= c.timing.ReadyTimeout {
		c.o.Status(fmt.Sprintf("the agent is not listening after %s (state %q); sending the input anyway", c.timing.ReadyTimeout, c.agent.state))
		return true
	}
	if since < c.timing.Settle {
		return false
	}
	quiet := c.waited(c.meter.LastSpeech(), now) >= c.timing.ReplyIdle/2
	switch c.agent.state {
	case "listening", "":
		return quiet
	default:
		return false
	}
}

// handle reacts to one room event.
func (c *call) handle(ev room.Event) error {
	now := c.now()
	switch e := ev.(type) {
	case room.ParticipantJoined:
		// The same participant can be reported twice around the join.
		if e.Agent && !(c.agent.present && e.Identity == c.agent.identity) {
			c.agentJoined(now, e.Identity, e.Name, e.Attributes)
		}
	case room.ParticipantLeft:
		if c.outage() && c.agent.present && e.Identity == c.agent.identity {
			// The SDK reports everyone gone when it reconnects in full;
			// the agent is back when the room is.
			c.agent.present = false
			return nil
		}
		if c.agent.present && e.Identity == c.agent.identity {
			c.emit(event.Event{Type: event.AgentLeft, Identity: e.Identity})
			c.result.Reason = ReasonAgentLeft
			c.o.Status("the agent left the call")
			c.ended = true
		}
	case room.AttributesChanged:
		if !e.Agent {
			return nil
		}
		if !c.agent.present {
			c.agentJoined(now, e.Identity, "", e.Attributes)
			return nil
		}
		if e.Identity != c.agent.identity {
			return nil
		}
		if st, ok := e.Changed[room.AttrAgentState]; ok {
			c.setAgentState(st)
		}
	case room.AudioSubscribed:
		c.o.Status("subscribed to the agent's audio")
	case room.StreamOpened:
		if e.Info.Speaker == transcript.Speaker(event.SpeakerAgent) {
			c.agent.openStreams[e.Info.StreamID] = true
			c.agent.lastText = now
		}
		c.applyChanges(c.store.OpenStream(now, e.Info))
	case room.StreamChunk:
		if c.agent.openStreams[e.StreamID] {
			c.agent.lastText = now
		}
		c.applyChanges(c.store.AppendStream(now, e.StreamID, e.Text))
	case room.StreamClosed:
		if c.agent.openStreams[e.StreamID] {
			c.agent.lastText = now
		}
		delete(c.agent.openStreams, e.StreamID)
		c.applyChanges(c.store.CloseStream(now, e.StreamID, e.TrailerFinal))
	case room.LegacyTranscription:
		for _, seg := range e.Segments {
			c.applyChanges(c.store.Legacy(now, e.Identity, seg))
		}
	case room.ChatReceived:
		c.chatReceived(now, e)
	case room.ConnectionChanged:
		c.connectionChanged(now, e.State)
	case room.Disconnected:
		if c.outage() {
			// The SDK gave up on its own recovery.
			return c.lose(now, fmt.Sprintf("the LiveKit SDK gave up reconnecting (%s)", e.Reason))
		}
		c.result.Reason = "disconnected by the server: " + e.Reason
		return failure.Newf(failure.Connect, "the connection to the room was lost (%s)", e.Reason).
			WithHint("the server ended the call or the network failed; the output files hold everything received until then")
	case room.AgentChatItem:
		c.onAgentItem(e)
	case room.Warning:
		c.warn(event.WarnMedia, e.Message)
	}
	return nil
}

func (c *call) agentJoined(now time.Time, identity, name string, attrs map[string]string) {
	c.agent.present = true
	c.agent.identity = identity
	c.agent.joinedAt = now
	c.result.AgentJoined = c.since(now)
	if n := attrs[room.AttrAgentName]; n != "" {
		name = n
	}
	c.agent.name = name
	c.result.AgentIdentity, c.result.AgentName = identity, name
	c.emit(event.Event{Type: event.AgentJoined, Identity: identity, Name: name})
	label := identity
	if name != "" && name != identity {
		label = fmt.Sprintf("%s (%s)", name, identity)
	}
	c.o.Status(fmt.Sprintf("agent joined: %s", label))
	if st := attrs[room.AttrAgentState]; st != "" {
		c.setAgentState(st)
	}
}

func (c *call) setAgentState(st string) {
	if st == c.agent.state {
		return
	}
	prev := c.agent.state
	c.agent.state = st
	c.states = append(c.states, stateAt{state: st, at: c.now()})
	c.emit(event.Event{Type: event.AgentState, Identity: c.agent.identity, State: st})
	// Interrupted: audio still queued for the speaker is stale, and
	// playing it would talk over the user. A reply that simply finished
	// is not flushed: the agent leaves "speaking" when its own playout
	// ends, while the last 100 ms or so are still queued here, and cutting
	// them both clips every reply and leaves echo on the microphone that
	// the canceller's reference no longer holds.
	if prev == "speaking" && c.userTalking() {
		if f, ok := c.o.Output.(audio.Flusher); ok {
			f.Flush()
		}
	}
}

// interruptWindow is how recently the user must have spoken for the
// agent's falling silent to count as an interruption. LiveKit Agents stop
// after 500 ms of the user's speech and the state follows within a few
// hundred; a user who barges in is still talking then.
const interruptWindow = time.Second

// userTalking reports whether the user's audio was voiced within the
// interrupt window.
func (c *call) userTalking() bool {
	if c.snd == nil {
		return false
	}
	at := c.snd.userVoicedAt()
	return !at.IsZero() && c.now().Sub(at) <= interruptWindow
}

// applyChanges turns caption changes into transcript events.
func (c *call) applyChanges(changes []transcript.Change) {
	for _, ch := range changes {
		seg := ch.Segment
		final := ch.Kind != transcript.Interim
		c.emit(event.Event{
			Type:      event.Transcript,
			Speaker:   string(seg.Speaker),
			Identity:  seg.Identity,
			SegmentID: seg.ID,
			Text:      seg.Text,
			Final:     event.Bool(final),
		})
	}
}

// countdown says how much of a capped call is left as the time left
// reaches each whole minute, 30 seconds and 10 seconds: people on a
// provider's 5-minute call should not be cut off by surprise. The first
// note only takes its bearings: the call announced the cap as it began,
// and a mark the call started below was never reached.
type countdown struct{ last time.Duration }

func (c *countdown) note(left time.Duration) string {
	mark := countdownMark(left)
	if mark == 0 {
		return ""
	}
	if c.last == 0 {
		c.last = mark
		return ""
	}
	if mark >= c.last {
		return ""
	}
	c.last = mark
	return fmt.Sprintf("%s left in this call", mark)
}

// countdownMark is the smallest mark (10 s, 30 s, or a whole number of
// minutes) at or above left, or 0 when no time is left.
func countdownMark(left time.Duration) time.Duration {
	switch {
	case left <= 0:
		return 0
	case left <= 10*time.Second:
		return 10 * time.Second
	case left <= 30*time.Second:
		return 30 * time.Second
	}
	mark := left.Truncate(time.Minute)
	if mark < left {
		mark += time.Minute
	}
	return mark
}
