package call

import (
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// A file is spoken only once the agent can hear it: it has joined, had a
// moment to start a greeting, is listening and has finished speaking. An
// agent that never gets there is spoken to anyway after ReadyTimeout.
func TestFileIsSentOnceTheAgentIsReady(t *testing.T) {
	d := DefaultTiming
	for _, tc := range []struct {
		name string
		// agent plays the agent's part and returns when it became ready to
		// listen, by the rules; the file's speech may begin one lead silence
		// after the first tick at or after that.
		agent func(h *harness) (ready time.Duration)
		// status, if set, is a status the call must give.
		status string
	}{
		{"joins late, listening", func(h *harness) time.Duration {
			h.stepFor(3 * time.Second) // nobody there: nothing is sent
			h.agentJoins("listening")
			return h.elapsed() + d.Settle
		}, ""},
		{"greets first", func(h *harness) time.Duration {
			h.agentJoins("speaking")
			last := h.agentSpeaks(2 * time.Second)
			h.agentState("listening")
			return last + d.ReplyIdle/2
		}, ""},
		{"never listens", func(h *harness) time.Duration {
			h.agentJoins("initializing")
			return h.elapsed() + d.ReadyTimeout
		}, `the agent is not listening after 10s (state "initializing"); sending the input anyway`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer leaktest.Check(t)()
			h := newHarness(t)
			h.start(Options{File: clip(400 * time.Millisecond)}, fakeCreds{})
			ready := tc.agent(h)
			if at, ok := h.room.firstSpeech(); ok {
				t.Fatalf("speech sent at %v, before the agent was ready", at)
			}
			h.stepUntil(time.Minute, "speech on the track", func() bool { _, ok := h.room.firstSpeech(); return ok })
			at, _ := h.room.firstSpeech()
			earliest := ready + d.LeadSilence
			if at < earliest || at > earliest+tickEvery+2*step {
				t.Errorf("speech sent at %v; the agent was ready at %v, so want %v after the next tick", at, ready, d.LeadSilence)
			}
			if tc.status != "" && len(h.statusesLike(tc.status)) != 1 {
				t.Errorf("no status %q", tc.status)
			}
			h.cancel()
			h.wait()
		})
	}
}

// A file call is over once the agent's reply is: it has been silent for
// ReplyIdle. Its caption stream still open, or its state still saying
// "speaking", earn it more time (2 and 3 ReplyIdle), because its state is
// only a hint and a stream is closed a moment after the last word.
func TestReplyEnd(t *testing.T) {
	idle := DefaultTiming.ReplyIdle
	for _, tc := range []struct {
		name        string
		closeStream bool
		stateAfter  string // "" leaves it at speaking
		wantSilence time.Duration
	}{
		{"silence, caption closed, listening", true, "listening", idle},
		{"caption stream still open", false, "listening", 2 * idle},
		{"state stuck in speaking", true, "", 3 * idle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer leaktest.Check(t)()
			h := newHarness(t)
			h.start(Options{File: clip(400 * time.Millisecond)}, fakeCreds{})
			h.agentJoins("listening")
			h.stepUntil(time.Minute, "end of the input", func() bool { return h.hasEvent(event.InputDone) })

			h.agentState("speaking")
			h.send(room.StreamOpened{Info: transcript.StreamInfo{StreamID: "a1", SegmentID: "seg-a", Speaker: transcript.SpeakerAgent, Identity: "agent-1", Sender: "agent-1"}})
			h.send(room.StreamChunk{StreamID: "a1", Text: "Sure, I can help."})
			h.agentSpeaks(time.Second)
			h.stepFor(idle / 2) // a pause between sentences is not the end
			last := h.agentSpeaks(time.Second)
			if tc.closeStream {
				h.send(room.StreamClosed{StreamID: "a1"})
			}
			if tc.stateAfter != "" {
				h.agentState(tc.stateAfter)
			}
			ended := h.runToEnd(time.Minute)

			if h.err != nil || h.res.Reason != ReasonReplyOver {
				t.Fatalf("Run: %q, %v; want %q and no error", h.res.Reason, h.err, ReasonReplyOver)
			}
			if silence := ended - last; silence < tc.wantSilence || silence > tc.wantSilence+tickEvery {
				t.Errorf("ended after %v of silence, want %v (to the next tick)", silence, tc.wantSilence)
			}
			if segs := h.res.Segments; len(segs) != 1 || segs[0].Text != "Sure, I can help." || !segs[0].Final {
				t.Errorf("segments %+v, want the agent's final reply", segs)
			}
		})
	}
}

// A file the agent never answers fails the call after ReplyTimeout.
func TestNoReplyFailsTheCall(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{File: clip(400 * time.Millisecond), Timing: Timing{ReplyTimeout: 5 * time.Second}}, fakeCreds{})
	h.agentJoins("listening")
	h.stepUntil(time.Minute, "end of the input", func() bool { return h.hasEvent(event.InputDone) })
	done := h.expect(event.InputDone)
	ended := h.runToEnd(time.Minute)

	if h.res.Reason != ReasonNoReply || h.err == nil || !strings.Contains(h.err.Error(), "did not reply within 5s") {
		t.Fatalf("Run: %q, %v; want %q", h.res.Reason, h.err, ReasonNoReply)
	}
	// The timeout counts from the end of the speech: the clip is voiced to
	// its end, so its last frame is the end of speech.
	speechEnd := time.Duration(done.TimeMS) * time.Millisecond
	if wait := ended - speechEnd; wait < 5*time.Second || wait > 5*time.Second+tickEvery+step {
		t.Errorf("gave up %v after the speech ended, want 5s", wait)
	}
}
