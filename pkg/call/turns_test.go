package call

import (
	"slices"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// clipWithTail is speech followed by silence, as espeak-ng writes it: the
// user's speech ends where the voice does, not where the file does.
func clipWithTail(speech, tail time.Duration) *audio.Clip {
	c := clip(speech)
	c.Samples = append(c.Samples, make([]int16, int(tail/time.Millisecond)*audio.SampleRate/1000)...)
	return c
}

// waitSpeechEnd steps until the user's last frame of speech has gone out
// and silence follows, and returns when that frame was sent.
func (h *harness) waitSpeechEnd() time.Duration {
	h.t.Helper()
	h.stepUntil(time.Minute, "the user's speech", func() bool { _, ok := h.room.firstSpeech(); return ok })
	var last time.Duration
	h.stepUntil(time.Minute, "the end of the user's speech", func() bool {
		h.room.mu.Lock()
		defer h.room.mu.Unlock()
		n := len(h.room.frames)
		if n == 0 || h.room.frames[n-1].speech {
			return false
		}
		for i := n - 1; i >= 0; i-- {
			if h.room.frames[i].speech {
				last = h.room.frames[i].at
				break
			}
		}
		return true
	})
	return last
}

// agentReplies is the agent's whole reply: state, a caption, speech, and
// back to listening with the caption closed.
func (h *harness) agentReplies(id, text string, d time.Duration) (start, last time.Duration) {
	h.t.Helper()
	h.agentState("thinking")
	h.stepFor(200 * time.Millisecond)
	h.agentState("speaking")
	start = h.elapsed()
	h.send(room.StreamOpened{Info: transcript.StreamInfo{StreamID: id, SegmentID: id, Speaker: transcript.SpeakerAgent, Identity: "agent-1", Sender: "agent-1"}})
	h.send(room.StreamChunk{StreamID: id, Text: text})
	last = h.agentSpeaks(d)
	h.send(room.StreamClosed{StreamID: id})
	h.agentState("listening")
	return start, last
}

// A conversation of three turns: spoken, typed and silent. Each turn
// starts once the previous reply is over, and each gets its own figures,
// timed from the end of the voice (not of the file) and from the message.
func TestScriptedTurns(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Turns: []Turn{
		{Say: clipWithTail(600*time.Millisecond, 300*time.Millisecond)},
		{Chat: "three people, please"},
		{Silence: 2 * time.Second},
	}}, fakeCreds{})
	h.agentJoins("listening")

	speechEnd := h.waitSpeechEnd()
	h.stepFor(500 * time.Millisecond)
	start1, last1 := h.agentReplies("a1", "Sure, for how many?", time.Second)
	// The agent reports its own figure once the reply's playout is over.
	h.send(room.AgentChatItem{Identity: "agent-1", Role: room.RoleAssistant, ItemID: "r1", E2ELatencyMS: ms(912)})

	// The reply is over after ReplyIdle; the chat goes out at the next tick.
	h.stepUntil(time.Minute, "the chat message", func() bool { return len(h.room.sentChats()) == 1 })
	chat := h.room.sentChats()[0]
	if chat.text != "three people, please" || chat.at < last1+DefaultTiming.ReplyIdle {
		t.Fatalf("chat %+v sent before the reply was over (last speech %v)", chat, last1)
	}
	h.stepFor(300 * time.Millisecond)
	start2, _ := h.agentReplies("a2", "A table for three.", 800*time.Millisecond)
	h.send(room.AgentChatItem{Identity: "agent-1", Role: room.RoleAssistant, ItemID: "r2", E2ELatencyMS: ms(640)})

	// The silent turn: the agent says nothing, and the call ends when the
	// silence is over.
	end := h.runToEnd(time.Minute)
	if h.err != nil || h.res.Reason != ReasonReplyOver {
		t.Fatalf("Run: %q, %v", h.res.Reason, h.err)
	}
	turns := h.res.Turns
	if len(turns) != 3 {
		t.Fatalf("%d turns, want 3: %+v", len(turns), turns)
	}
	t0r, t1r, t2r := turns[0], turns[1], turns[2]

	if t0r.SpeechEnd != speechEnd || !t0r.Voiced {
		t.Errorf("turn 1 speech ends at %v, want the last voiced frame at %v", t0r.SpeechEnd, speechEnd)
	}
	if lat, ok := t0r.Latency(); !ok || lat != start1-speechEnd {
		t.Errorf("turn 1 latency %v (%v), want %v: from the last voiced frame to the first audible reply", lat, ok, start1-speechEnd)
	}
	if t0r.Reply != "Sure, for how many?" || !t0r.HasThinking || !t0r.HasSpeaking || t0r.Speaking != start1 {
		t.Errorf("turn 1: %+v", t0r)
	}
	if !t0r.HasFirstCaption || t0r.FirstCaption != start1 {
		t.Errorf("turn 1 first caption at %v (%v), want %v", t0r.FirstCaption, t0r.HasFirstCaption, start1)
	}
	if want := []string{"thinking", "speaking", "listening"}; !slices.Equal(t0r.States, want) {
		t.Errorf("turn 1 states %v, want %v", t0r.States, want)
	}

	if t1r.Kind != TurnChat || t1r.Heard != "three people, please" || t1r.SpeechEnd != chat.at {
		t.Errorf("turn 2: %+v", t1r)
	}
	if lat, ok := t1r.Latency(); !ok || lat != start2-chat.at {
		t.Errorf("turn 2 latency %v, want %v from the message", lat, start2-chat.at)
	}
	if t1r.Reply != "A table for three." {
		t.Errorf("turn 2 reply %q", t1r.Reply)
	}

	// Each turn claims the agent's report of its own reply; the silent
	// turn, which had none, claims nothing.
	for i, want := range []float64{912, 640} {
		if a := turns[i].Agent; a == nil || a.E2ELatencyMS == nil || *a.E2ELatencyMS != want {
			t.Errorf("turn %d: the agent's report %+v, want e2e %v ms", i+1, a, want)
		}
	}
	if turns[2].Agent != nil {
		t.Errorf("turn 3 claimed the agent's report %+v", turns[2].Agent)
	}
	if t2r.Kind != TurnSilence || t2r.Replied || t2r.TimedOut {
		t.Errorf("turn 3: %+v", t2r)
	}
	if silent := end - t2r.Start; silent < 2*time.Second || silent > 2*time.Second+DefaultTiming.TrailSilence+2*tickEvery {
		t.Errorf("the silent turn lasted %v, want its 2s", silent)
	}
	if h.res.AgentTurns != 2 || h.res.Greeting != nil {
		t.Errorf("agent turns %d, greeting %+v", h.res.AgentTurns, h.res.Greeting)
	}
	if h.res.Pacing.Frames == 0 || h.res.Pacing.LateMax != 0 {
		t.Errorf("pacing %+v: on a fake clock every frame is on time", h.res.Pacing)
	}
}

// A barge-in turn starts while the agent speaks, a set time after its
// reply became audible; the figures say how long the agent talked over
// the user.
func TestBargeIn(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	after := 700 * time.Millisecond
	h.start(Options{Turns: []Turn{
		{Say: clip(400 * time.Millisecond)},
		{Say: clip(800 * time.Millisecond), BargeIn: &after},
	}}, fakeCreds{})
	h.agentJoins("listening")
	h.waitSpeechEnd()
	h.stepFor(400 * time.Millisecond)
	h.agentState("speaking")
	replyStart := h.elapsed()
	// The agent talks until it hears the user; count frames to find when
	// the user's second utterance began.
	framesBefore := h.room.frameCount()
	var userStarted time.Duration
	for {
		_ = h.agentSpeaks(step)
		h.room.mu.Lock()
		for _, f := range h.room.frames[framesBefore:] {
			if f.speech && userStarted == 0 {
				userStarted = f.at
			}
		}
		h.room.mu.Unlock()
		if userStarted != 0 && h.elapsed() >= userStarted+500*time.Millisecond {
			break
		}
		if h.elapsed() > replyStart+5*time.Second {
			t.Fatal("the user never barged in")
		}
	}
	stopped := h.elapsed() - step
	h.agentState("listening")
	if d := userStarted - replyStart; d < after || d > after+tickEvery+2*step {
		t.Errorf("the user barged in %v after the reply began, want %v", d, after)
	}
	h.waitSpeechEnd()
	h.stepFor(500 * time.Millisecond)
	h.agentReplies("a2", "OK.", 500*time.Millisecond)
	h.runToEnd(time.Minute)

	if len(h.res.Turns) != 2 {
		t.Fatalf("turns %+v", h.res.Turns)
	}
	first, second := h.res.Turns[0], h.res.Turns[1]
	if !first.Replied || first.ReplyEnd != stopped {
		t.Errorf("interrupted reply ends at %v, want %v", first.ReplyEnd, stopped)
	}
	d, ok := second.StopLatency()
	if !ok || d != stopped-userStarted {
		t.Errorf("stop latency %v (%v), want %v", d, ok, stopped-userStarted)
	}
	if !second.Replied || second.Reply != "OK." {
		t.Errorf("the barge-in's own reply: %+v", second)
	}
	if !h.hasEvent(event.InputDone) {
		t.Error("no input_done after the last turn")
	}
}
