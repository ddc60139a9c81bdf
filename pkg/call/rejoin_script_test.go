package call

import (
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/room"
)

// A script whose connection is lost in the middle of a turn's clip says
// that turn again, from its start, once the agent of the new room is
// ready, and goes on to the end: the agent that heard half of it is gone.
func TestRejoinSaysTheCutTurnAgain(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	j := &rejoins{h: h}
	chat := make(chan string)
	h.start(Options{Turns: []Turn{{Say: clip(time.Second)}, {Say: clip(2 * time.Second)}}, Chat: chat, Join: j.join,
		Reconnect: &Reconnect{Rand: func() float64 { return 0.5 }}, Timing: Timing{RecoverTimeout: time.Second}}, fakeCreds{})
	h.agentJoins("listening")
	sending := func() int { return len(h.statusesLike("sending turn 2 of 2")) }
	h.stepUntil(10*time.Second, "the first turn sent", func() bool { return len(h.statusesLike("sending turn 1 of 2")) == 1 })
	h.stepFor(1500 * time.Millisecond)
	h.agentSpeaks(time.Second)
	h.stepUntil(10*time.Second, "the second turn", func() bool { return sending() == 1 })
	h.stepFor(500 * time.Millisecond) // half way through its clip
	h.send(room.ConnectionChanged{State: event.ConnReconnecting})
	for j.count() < 2 {
		if !h.gapStep(chat) {
			t.Fatalf("the call ended at %v: %v", h.elapsed(), h.err)
		}
	}
	h.expectState(event.ConnRejoined)
	if len(h.statusesLike("the lost connection cut turn 2 of 2 short")) != 1 {
		t.Error("no status line for the turn cut short")
	}
	second := j.rooms[1]
	h.stepFor(2 * time.Second)
	if _, spoke := second.firstSpeech(); spoke || sending() != 1 {
		at, _ := second.firstSpeech()
		t.Fatalf("the turn was said again before the new room's agent was there (speech at %v, sent %d times, now %v)", at, sending(), h.elapsed())
	}
	h.agentJoins("listening")
	h.stepUntil(10*time.Second, "the second turn said again", func() bool { return sending() == 2 })
	h.stepFor(2500 * time.Millisecond)
	if _, spoke := second.firstSpeech(); !spoke {
		t.Fatal("nothing of the turn said again reached the new room")
	}
	h.agentSpeaks(time.Second)
	h.runToEnd(10 * time.Second)
	if h.err != nil {
		t.Fatalf("Run: %v", h.err)
	}
	if len(h.res.Turns) != 2 || !h.res.Turns[0].Replied || !h.res.Turns[1].Replied || h.res.Turns[1].Index != 1 {
		t.Errorf("turns %+v, want both answered, the second once", h.res.Turns)
	}
	if m := h.misused(nil); m != "" {
		t.Error(m)
	}
}
