package call

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// slowMic is a microphone whose first frame comes late, as a sound server
// that takes its time to start a stream: the call's audio, and so its
// recording, begins after the call joined.
type slowMic struct {
	*fakeMic
	clk   audio.Clock
	delay time.Duration
	begun bool
}

func (m *slowMic) ReadFrame(ctx context.Context, f audio.Frame) error {
	if !m.begun {
		m.begun = true
		t := m.clk.NewTimer(m.delay)
		select {
		case <-t.C():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return m.fakeMic.ReadFrame(ctx, f)
}

// AudioStart is when the first frame went out, the first sample of a
// recording: what WebVTT captions count from.
func TestAudioStartIsTheFirstFrameSent(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{Input: &slowMic{fakeMic: h.mic(), clk: h.clk, delay: 300 * time.Millisecond}}, fakeCreds{})
	h.agentJoins("listening")
	h.stepFor(time.Second)
	h.send(room.ParticipantLeft{Identity: "agent-1", Agent: true})
	h.wait()
	if h.err != nil {
		t.Fatal(h.err)
	}
	first := h.room.frames[0].at
	if first < 300*time.Millisecond || h.res.AudioStart != first {
		t.Errorf("AudioStart %v, the first frame went out at %v (after the microphone's 300ms)", h.res.AudioStart, first)
	}
	c := h.res.Conversation(nil)
	if c.AudioStart != h.res.AudioStart || !c.Start.Equal(t0) || c.Duration != h.elapsed() {
		t.Errorf("conversation: audio start %v, start %v, duration %v; want %v, %v, %v", c.AudioStart, c.Start, c.Duration, h.res.AudioStart, t0, h.elapsed())
	}
}

// How the call ended decides the transcript's outcome: an error's kind,
// a signal's kind, or none.
func TestConversationOutcome(t *testing.T) {
	res := Result{
		Room: "r", Identity: "me", Start: t0, AgentIdentity: "agent-1", AgentName: "Ava", CallID: "c-1",
		Reason: ReasonHangup,
		Chat:   []ChatMessage{{At: time.Second, Speaker: transcript.SpeakerUser, Identity: "me", Text: "hi"}},
	}
	tests := []struct {
		name    string
		err     error
		outcome transcript.Outcome
		kind    string
	}{
		{"no error", nil, transcript.OutcomeCompleted, ""},
		{"Ctrl-C", failure.Wrap(failure.Interrupted, context.Canceled, "interrupted"), transcript.OutcomeInterrupted, "interrupted"},
		{"SIGTERM", failure.New(failure.Terminated, "terminated by SIGTERM"), transcript.OutcomeInterrupted, "terminated"},
		{"lost connection", failure.New(failure.Connect, "the connection to the room was lost"), transcript.OutcomeFailed, "connect"},
		{"a plain error", errors.New("boom"), transcript.OutcomeFailed, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := res.Conversation(tt.err)
			if c.End.Outcome != tt.outcome || c.End.ErrorKind != tt.kind || c.End.Reason != ReasonHangup {
				t.Errorf("end %+v, want outcome %s, kind %q, reason %q", c.End, tt.outcome, tt.kind, ReasonHangup)
			}
			if tt.err != nil && c.End.Error != tt.err.Error() {
				t.Errorf("error %q, want %q", c.End.Error, tt.err)
			}
			if c.Room != "r" || c.CallID != "c-1" || c.AgentName != "Ava" || len(c.Chat) != 1 || c.Chat[0].Text != "hi" {
				t.Errorf("conversation %+v", c)
			}
		})
	}
	// Without a reason of its own, the error is the reason.
	if c := (Result{}).Conversation(errors.New("boom")); c.End.Reason != "boom" {
		t.Errorf("reason %q, want the error's", c.End.Reason)
	}
}
