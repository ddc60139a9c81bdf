package call

import (
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/room"
)

// fakeSpeaker is an output that reports its buffer's counts.
type fakeSpeaker struct{ under, over int64 }

func (s *fakeSpeaker) Write([]int16) error                       { return nil }
func (s *fakeSpeaker) Close() error                              { return nil }
func (s *fakeSpeaker) PlayoutStats() (underruns, overruns int64) { return s.under, s.over }

func warnings(evs []event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Type == event.Warning {
			out = append(out, e)
		}
	}
	return out
}

// Each new underrun or overrun becomes one buffer warning, checked at
// most once a second; counts that did not change say nothing.
func TestPlayoutWarnings(t *testing.T) {
	c, clk, evs := testCall(t)
	sp := &fakeSpeaker{}
	c.o.Output = sp

	c.checkPlayout(clk.Now())
	sp.under = 2
	c.checkPlayout(clk.Now().Add(100 * time.Millisecond)) // too soon
	if w := warnings(*evs); len(w) != 0 {
		t.Fatalf("warned before a second passed: %+v", w)
	}
	clk.Advance(time.Second)
	c.checkPlayout(clk.Now())
	clk.Advance(time.Second)
	c.checkPlayout(clk.Now()) // nothing new
	sp.under, sp.over = 3, 1
	clk.Advance(time.Second)
	c.checkPlayout(clk.Now())

	w := warnings(*evs)
	if len(w) != 3 {
		t.Fatalf("want 3 warnings, got %+v", w)
	}
	for _, e := range w {
		if e.Kind != event.WarnBuffer {
			t.Errorf("kind %q, want %q", e.Kind, event.WarnBuffer)
		}
	}
	if !strings.Contains(w[0].Message, "ran dry 2 times") || !strings.Contains(w[1].Message, "ran dry once") || !strings.Contains(w[2].Message, "dropped audio once") {
		t.Errorf("messages:\n%s\n%s\n%s", w[0].Message, w[1].Message, w[2].Message)
	}
}

// The room's warnings are events too.
func TestRoomWarningIsAnEvent(t *testing.T) {
	c, _, evs := testCall(t)
	c.handle(room.Warning{Message: "cannot decode the agent's audio track TR_1: bad codec"})
	w := warnings(*evs)
	if len(w) != 1 || w[0].Kind != event.WarnMedia || !strings.Contains(w[0].Message, "TR_1") {
		t.Errorf("got %+v", w)
	}
}
