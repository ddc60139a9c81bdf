package call

import (
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// agentWrites sends one caption stream of the agent's, text only, and
// steps over the time it takes to write it.
func (h *harness) agentWrites(id, text string, d time.Duration) {
	h.t.Helper()
	h.send(room.StreamOpened{Info: transcript.StreamInfo{StreamID: id, SegmentID: id, Sender: "agent-1", Speaker: transcript.SpeakerAgent, Identity: "agent-1"}})
	h.send(room.StreamChunk{StreamID: id, Text: text})
	h.stepFor(d)
	final := true
	h.send(room.StreamClosed{StreamID: id, TrailerFinal: &final})
}

// A text-only call fed by typed lines: it joins without audio, publishes
// nothing, sends each line on lk.chat as a chat event, takes the agent's
// text reply for the reply, and ends once the lines have run out and the
// last reply is over.
func TestTextCallTypedLines(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	lines := make(chan string)
	h.start(Options{Text: true, Chat: lines}, fakeCreds{})
	h.agentJoins("listening")

	lines <- "a table for two, please"
	h.step()
	if got := h.room.sentChats(); len(got) != 1 || got[0].text != "a table for two, please" {
		t.Fatalf("sent %+v, want the typed line", got)
	}
	if e := h.expect(event.Chat); e.Speaker != event.SpeakerUser || e.Identity != "webcall-user" || e.Text != "a table for two, please" {
		t.Errorf("chat event %+v", e)
	}
	h.stepFor(300 * time.Millisecond)
	h.agentWrites("r1", "Booked for two.", 200*time.Millisecond)
	close(lines)
	h.stepFor(DefaultTiming.ReplyIdle / 2)
	if h.hasEvent(event.Disconnected) {
		t.Fatal("the call ended before the reply had been quiet for ReplyIdle")
	}
	h.runToEnd(time.Minute)
	if h.err != nil || h.res.Reason != ReasonChatDone {
		t.Fatalf("Run: %q, %v", h.res.Reason, h.err)
	}
	if n := h.room.frameCount(); n != 0 {
		t.Errorf("a text-only call sent %d audio frames", n)
	}
	if !h.room.cfg.TextOnly {
		t.Error("the room was joined for audio")
	}
	if len(h.res.Chat) != 1 || h.res.Chat[0].Speaker != transcript.SpeakerUser || h.res.Chat[0].Text != "a table for two, please" {
		t.Errorf("Result.Chat = %+v", h.res.Chat)
	}
	if segs := h.res.Segments; len(segs) != 1 || segs[0].Text != "Booked for two." {
		t.Errorf("segments %+v, want the agent's reply", segs)
	}
	if h.res.Stats.SentMS != 0 || h.res.Stats.ReceivedMS != 0 {
		t.Errorf("stats %+v: audio in a text-only call", h.res.Stats)
	}
}

// A line typed before the agent can read it waits for the agent; a line
// typed with nobody to answer it, in a text call whose input then ends,
// waits for the reply timeout, not for ever.
func TestTypedLineWaitsForTheAgent(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	lines := make(chan string, 1)
	h.start(Options{Text: true, Chat: lines, Timing: Timing{ReplyTimeout: 2 * time.Second}}, fakeCreds{})
	lines <- "hello?"
	close(lines)
	h.stepFor(time.Second)
	if got := h.room.sentChats(); len(got) != 0 {
		t.Fatalf("sent %+v before the agent joined", got)
	}
	h.send(room.ParticipantJoined{Identity: "agent-1", Agent: true})
	h.expect(event.AgentJoined)
	joined := h.elapsed()
	h.stepUntil(5*time.Second, "the chat message", func() bool { return len(h.room.sentChats()) == 1 })
	if at := h.room.sentChats()[0].at; at < joined+DefaultTiming.Settle {
		t.Errorf("sent at %v, before the agent (joined at %v, no state) had settled", at, joined)
	}
	end := h.runToEnd(time.Minute)
	if h.err != nil || h.res.Reason != ReasonChatDone {
		t.Fatalf("Run: %q, %v", h.res.Reason, h.err)
	}
	if sent := h.room.sentChats()[0].at; end < sent+2*time.Second {
		t.Errorf("ended at %v, before the reply timeout from %v", end, sent)
	}
}

// Typing during a voice call: each line goes out as it is typed and a
// chat message from the agent is shown; both are chat events and in
// Result.Chat, in order, with their times. A message from someone who is
// not the agent is no part of the conversation.
func TestChatDuringVoiceCall(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	mic := h.mic()
	lines := make(chan string)
	h.start(Options{Input: mic, Chat: lines}, fakeCreds{})
	h.agentJoins("listening")
	h.stepFor(100 * time.Millisecond)

	lines <- "  what time is it?  "
	h.step()
	sentAt := h.elapsed()
	h.stepFor(200 * time.Millisecond)
	h.send(room.ChatReceived{Identity: "someone-else", Text: "hi all"})
	h.send(room.ChatReceived{Identity: "agent-1", Agent: true, Text: "Half past eight."})
	h.step()
	got := h.expect(event.Chat)
	if got.Speaker != event.SpeakerUser || got.Text != "what time is it?" {
		t.Errorf("first chat event %+v", got)
	}
	got = h.expect(event.Chat)
	if got.Speaker != event.SpeakerAgent || got.Identity != "agent-1" || got.Text != "Half past eight." {
		t.Errorf("second chat event %+v", got)
	}
	lines <- "   " // blank: nothing to send
	h.step()
	if h.room.frameCount() == 0 {
		t.Error("the microphone sent nothing")
	}
	h.cancel()
	h.wait()
	if failure.KindOf(h.err) != failure.Interrupted {
		t.Fatalf("Run: %v", h.err)
	}
	if n := len(h.room.sentChats()); n != 1 {
		t.Errorf("%d chat messages sent, want 1", n)
	}
	c := h.res.Chat
	if len(c) != 2 || c[0].Speaker != transcript.SpeakerUser || c[1].Speaker != transcript.SpeakerAgent || c[0].At > sentAt || c[1].At <= c[0].At {
		t.Errorf("Result.Chat = %+v", c)
	}
	if len(h.statusesLike("not the agent")) != 1 {
		t.Error("a chat message from a bystander was not told apart")
	}
}

// Chat turns in a text-only call: each turn waits for the agent's text
// reply to the one before.
func TestTextCallChatTurns(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Text: true, Turns: []Turn{{Chat: "one"}, {Chat: "two"}}}, fakeCreds{})
	h.agentJoins("listening")
	h.stepUntil(5*time.Second, "the first message", func() bool { return len(h.room.sentChats()) == 1 })
	h.stepFor(300 * time.Millisecond)
	h.agentWrites("r1", "First.", 100*time.Millisecond)
	replied := h.elapsed()
	h.stepUntil(5*time.Second, "the second message", func() bool { return len(h.room.sentChats()) == 2 })
	if at := h.room.sentChats()[1].at; at < replied+DefaultTiming.ReplyIdle {
		t.Errorf("second message at %v, before the first reply (%v) was over", at, replied)
	}
	h.stepFor(300 * time.Millisecond)
	h.agentWrites("r2", "Second.", 100*time.Millisecond)
	h.runToEnd(time.Minute)
	if h.err != nil || h.res.Reason != ReasonReplyOver {
		t.Fatalf("Run: %q, %v", h.res.Reason, h.err)
	}
	if len(h.res.Turns) != 2 || h.res.Turns[0].Reply != "First." || h.res.Turns[1].Reply != "Second." || h.res.Turns[1].TimedOut {
		t.Errorf("turns %+v", h.res.Turns)
	}
	if len(h.res.Chat) != 2 {
		t.Errorf("Result.Chat = %+v", h.res.Chat)
	}
}

// A text-only call takes chat and nothing else.
func TestTextCallOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"nothing to say", Options{Text: true}},
		{"a microphone", Options{Text: true, Input: &fakeMic{}, Chat: make(chan string)}},
		{"a spoken turn", Options{Text: true, Turns: []Turn{{Chat: "hi"}, {Say: clip(time.Second)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Credentials = fakeCreds{}
			if _, err := Run(t.Context(), tc.o); failure.KindOf(err) != failure.Internal {
				t.Errorf("Run: %v, want a refusal", err)
			}
		})
	}
}

// Lines from a script (ChatTurns) wait for the reply to the line before;
// without ChatTurns they go out as they come.
func TestChatTurnsWaitForReplies(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	lines := make(chan string, 2)
	lines <- "one"
	lines <- "two"
	close(lines)
	h.start(Options{Text: true, Chat: lines, ChatTurns: true}, fakeCreds{})
	h.agentJoins("listening")
	h.stepUntil(5*time.Second, "the first message", func() bool { return len(h.room.sentChats()) == 1 })
	h.stepFor(time.Second)
	if n := len(h.room.sentChats()); n != 1 {
		t.Fatalf("%d messages sent before the first reply", n)
	}
	h.agentWrites("r1", "First.", 100*time.Millisecond)
	replied := h.elapsed()
	h.stepUntil(5*time.Second, "the second message", func() bool { return len(h.room.sentChats()) == 2 })
	if at := h.room.sentChats()[1].at; at < replied+DefaultTiming.ReplyIdle {
		t.Errorf("second message at %v, before the first reply (%v) was over", at, replied)
	}
	h.stepFor(200 * time.Millisecond)
	h.agentWrites("r2", "Second.", 100*time.Millisecond)
	h.runToEnd(time.Minute)
	if h.err != nil || h.res.Reason != ReasonChatDone {
		t.Fatalf("Run: %q, %v", h.res.Reason, h.err)
	}
}
