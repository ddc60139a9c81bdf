package call

import (
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// How a call ends, whatever ends it: captions still open are settled and
// shown, then the stats, then disconnected, last.
func TestCallEndsWithCaptionsThenStatsThenDisconnected(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Input: h.mic()}, fakeCreds{})
	h.agentJoins("listening")

	// The agent is mid-sentence and the user's words are still interim.
	h.send(room.StreamOpened{Info: transcript.StreamInfo{StreamID: "a1", SegmentID: "seg-a", Speaker: transcript.SpeakerAgent, Identity: "agent-1", Sender: "agent-1"}})
	h.send(room.StreamChunk{StreamID: "a1", Text: "Hello there"})
	if e := h.expect(event.Transcript); e.Text != "Hello there" || *e.Final {
		t.Fatalf("first caption %q final=%v, want interim %q", e.Text, *e.Final, "Hello there")
	}
	h.send(room.StreamOpened{Info: transcript.StreamInfo{StreamID: "u1", SegmentID: "seg-u", Speaker: transcript.SpeakerUser, Identity: "webcall-user", Sender: "agent-1"}})
	h.send(room.StreamChunk{StreamID: "u1", Text: "hi"})
	h.expect(event.Transcript)
	h.stepFor(200 * time.Millisecond)

	h.send(room.ParticipantLeft{Identity: "agent-1", Agent: true})
	h.wait()

	got := h.eventsAfter(event.AgentLeft)
	var types []string
	for _, e := range got {
		types = append(types, string(e.Type))
	}
	want := []string{"transcript", "transcript", "stats", "disconnected"}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Fatalf("after agent_left: %v, want %v", types, want)
	}
	for i, w := range []struct{ id, text string }{{"seg-a", "Hello there"}, {"seg-u", "hi"}} {
		if e := got[i]; e.SegmentID != w.id || e.Text != w.text || !*e.Final {
			t.Errorf("flushed caption %d: %s %q final=%v, want %s %q final", i, e.SegmentID, e.Text, *e.Final, w.id, w.text)
		}
	}
	stats, disc := got[2], got[3]
	if stats.Stats == nil || stats.Stats.DurationMS != h.elapsed().Milliseconds() {
		t.Errorf("stats %+v, want a duration of %v", stats.Stats, h.elapsed())
	}
	if want := int64(h.room.frameCount()) * 20; stats.Stats.SentMS != want {
		t.Errorf("stats say %d ms sent, the room got %d ms", stats.Stats.SentMS, want)
	}
	if disc.Reason != ReasonAgentLeft {
		t.Errorf("disconnected: reason %q, want %q", disc.Reason, ReasonAgentLeft)
	}
	if h.err != nil || h.res.Reason != ReasonAgentLeft {
		t.Errorf("Run: %q, %v", h.res.Reason, h.err)
	}
	if len(h.res.Segments) != 2 || !h.res.Segments[0].Final || !h.res.Segments[1].Final {
		t.Errorf("result segments %+v, want both final", h.res.Segments)
	}
}

// Only the agent leaving ends the call; a person leaving does not.
func TestAgentLeavingEndsTheCall(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Input: h.mic()}, fakeCreds{})
	h.agentJoins("listening")
	h.send(room.ParticipantJoined{Identity: "bob"})
	h.send(room.ParticipantLeft{Identity: "bob"})
	h.stepFor(time.Second)

	h.send(room.ParticipantLeft{Identity: "agent-1", Agent: true})
	if e := h.expect(event.AgentLeft); e.Identity != "agent-1" {
		t.Errorf("agent_left for %q", e.Identity)
	}
	h.wait()
	if h.err != nil || h.res.Reason != ReasonAgentLeft {
		t.Fatalf("Run: %q, %v; want %q and no error", h.res.Reason, h.err, ReasonAgentLeft)
	}
	if !h.room.isClosed() {
		t.Error("the room was not closed")
	}
}

func TestServerDisconnectFailsTheCall(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Input: h.mic()}, fakeCreds{})
	h.agentJoins("listening")
	h.stepFor(500 * time.Millisecond)

	h.send(room.Disconnected{Reason: "ROOM_DELETED"})
	h.wait()
	if failure.KindOf(h.err) != failure.Connect {
		t.Fatalf("Run returned %v, want a Connect failure", h.err)
	}
	if want := "disconnected by the server: ROOM_DELETED"; h.res.Reason != want {
		t.Errorf("reason %q, want %q", h.res.Reason, want)
	}
	after := h.eventsAfter(event.Stats)
	if len(after) != 1 || after[0].Type != event.Disconnected || after[0].Reason != h.err.Error() {
		t.Errorf("after stats: %+v, want one disconnected event saying %q", after, h.err)
	}
	if !h.room.isClosed() {
		t.Error("the room was not closed")
	}
}

// With nobody to talk to, the call gives up after WaitAgent, saying so
// every 5 s meanwhile.
func TestNoAgentWithinWaitAgent(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Input: h.mic(), Timing: Timing{WaitAgent: 12 * time.Second}}, fakeCreds{})
	ended := h.runToEnd(time.Minute)

	if ended != 12*time.Second {
		t.Errorf("gave up after %v, want 12s", ended)
	}
	if failure.KindOf(h.err) != failure.NoAgent {
		t.Fatalf("Run returned %v, want a NoAgent failure", h.err)
	}
	if !strings.Contains(h.err.Error(), "test-room") {
		t.Errorf("%q does not name the room", h.err)
	}
	got := h.statusesLike("still waiting")
	want := []statusAt{{5 * time.Second, "still waiting for the agent (5s)"}, {10 * time.Second, "still waiting for the agent (10s)"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("waiting notes %v, want %v", got, want)
	}
}

func TestMaxDurationEndsTheCall(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Input: h.mic(), Timing: Timing{MaxDuration: 35 * time.Second}}, fakeCreds{})
	h.agentJoins("listening")
	ended := h.runToEnd(time.Minute)

	if ended != 35*time.Second {
		t.Errorf("ended after %v, want 35s", ended)
	}
	if h.err != nil || h.res.Reason != ReasonMaxDuration {
		t.Fatalf("Run: %q, %v; want %q and no error", h.res.Reason, h.err, ReasonMaxDuration)
	}
	// The user chose this cap: it is no surprise to count down to.
	if len(h.statusesLike("left in this call")) != 0 || len(h.statusesLike("the provider")) != 0 {
		t.Error("a cap of our own was taken for the provider's")
	}
}

// A provider's cap shorter than our own wins, and the call counts down to
// it.
func TestProviderCapCountsDownAndEndsTheCall(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Input: h.mic(), Timing: Timing{MaxDuration: time.Minute}}, fakeCreds{maxDuration: 40 * time.Second})
	h.agentJoins("listening")
	ended := h.runToEnd(2 * time.Minute)

	if ended != 40*time.Second || h.res.Reason != ReasonMaxDuration {
		t.Errorf("ended after %v (%q), want 40s and %q", ended, h.res.Reason, ReasonMaxDuration)
	}
	if len(h.statusesLike("the provider ends calls after 40s")) != 1 {
		t.Error("the provider's cap was not announced")
	}
	got := h.statusesLike("left in this call")
	want := []statusAt{{10 * time.Second, "30s left in this call"}, {30 * time.Second, "10s left in this call"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("countdown %v, want %v", got, want)
	}
}
