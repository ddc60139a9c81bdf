package call

import (
	"testing"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/room"
)

func ms(v float64) *float64 { return &v }

// The user item's figures wait for the reply; the reply's item makes one
// agent_metrics event of both, kept in the Result; another participant's
// items, and replies with no figures, make none.
func TestAgentItemsBecomeMetrics(t *testing.T) {
	c, _, evs := testCall(t)
	c.handle(room.ParticipantJoined{Identity: "agent", Agent: true})
	c.handle(room.AgentChatItem{Identity: "agent", Role: room.RoleUser, ItemID: "u1", EndOfTurnMS: ms(610), TranscriptionDelayMS: ms(120)})
	if got := metricsEvents(*evs); len(got) != 0 {
		t.Fatalf("a user item made an event before its reply: %+v", got)
	}
	c.handle(room.AgentChatItem{Identity: "someone-else", Role: room.RoleAssistant, ItemID: "x", E2ELatencyMS: ms(1)})
	c.handle(room.AgentChatItem{Identity: "agent", Role: room.RoleAssistant, ItemID: "a1", LLMTTFTMS: ms(250), TTSTTFBMS: ms(90), E2ELatencyMS: ms(910.4)})
	c.handle(room.AgentChatItem{Identity: "agent", Role: room.RoleAssistant, ItemID: "a2"})
	c.handle(room.AgentChatItem{Identity: "agent", Role: room.RoleAssistant, ItemID: "a3", E2ELatencyMS: ms(700), Interrupted: true})

	got := metricsEvents(*evs)
	if len(got) != 2 {
		t.Fatalf("want 2 agent_metrics events, got %d: %+v", len(got), got)
	}
	m := got[0].Metrics
	if got[0].Identity != "agent" || m.Source != event.SourceAgentSession || m.ItemID != "a1" {
		t.Errorf("first: %+v %+v", got[0], m)
	}
	if m.EndOfTurnMS == nil || *m.EndOfTurnMS != 610 || m.TranscriptionDelayMS == nil || *m.TranscriptionDelayMS != 120 {
		t.Errorf("the user item's figures are not on its reply: %+v", m)
	}
	if *m.LLMTTFTMS != 250 || *m.TTSTTFBMS != 90 || *m.E2ELatencyMS != 910.4 {
		t.Errorf("reply figures: %+v", m)
	}
	if m2 := got[1].Metrics; m2.ItemID != "a3" || !m2.Interrupted || m2.EndOfTurnMS != nil {
		t.Errorf("second: %+v (the user item was used twice?)", m2)
	}
	if len(c.result.AgentMetrics) != 2 {
		t.Errorf("Result.AgentMetrics holds %d", len(c.result.AgentMetrics))
	}
	if e2e := c.agentE2E(); e2e == nil || *e2e != 910.4 {
		t.Errorf("agentE2E = %v, want the first reply's 910.4", e2e)
	}
}

func metricsEvents(evs []event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Type == event.AgentMetrics {
			out = append(out, e)
		}
	}
	return out
}

func TestLatencyNote(t *testing.T) {
	for _, tc := range []struct {
		st   event.CallStats
		want string
	}{
		{event.CallStats{ReplyLatencyMS: 930, AgentE2ELatencyMS: ms(910.4)}, "reply latency 930 ms (the agent measured 910 ms)"},
		{event.CallStats{ReplyLatencyMS: 930}, "reply latency 930 ms"},
		{event.CallStats{AgentE2ELatencyMS: ms(880.6)}, "the agent measured its reply latency at 881 ms"},
		{event.CallStats{}, ""},
	} {
		if got := latencyNote(tc.st); got != tc.want {
			t.Errorf("latencyNote(%+v) = %q, want %q", tc.st, got, tc.want)
		}
	}
}
