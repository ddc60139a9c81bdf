package call

import (
	"fmt"
	"math"
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/room"
)

// What the agent measured of its own replies (room.AgentChatItem, from
// LiveKit Agents' session messages), put beside what the call measured.

// agentReports holds the agent's last report of a user message, waiting
// for the reply that answers it, and when each of Result.AgentMetrics
// arrived, so that the turns can claim theirs once the call is over.
type agentReports struct {
	user *room.AgentChatItem
	at   []time.Time
}

// agentMetricsIn is the first of the agent's reports that arrived in
// [from, to), or nil.
func (c *call) agentMetricsIn(from, to time.Time) *event.AgentTurnMetrics {
	for i, at := range c.reports.at {
		if !at.Before(from) && at.Before(to) {
			m := c.result.AgentMetrics[i]
			return &m
		}
	}
	return nil
}

// onAgentItem turns the agent's chat items into AgentMetrics events: a
// user item's figures wait for the reply that answers it, and the reply's
// item (added when its playout is over) completes them.
func (c *call) onAgentItem(e room.AgentChatItem) {
	if c.agent.present && e.Identity != c.agent.identity {
		return
	}
	switch e.Role {
	case room.RoleUser:
		c.reports.user = &e
	case room.RoleAssistant:
		m := event.AgentTurnMetrics{
			Source:       event.SourceAgentSession,
			ItemID:       e.ItemID,
			Interrupted:  e.Interrupted,
			LLMTTFTMS:    e.LLMTTFTMS,
			TTSTTFBMS:    e.TTSTTFBMS,
			E2ELatencyMS: e.E2ELatencyMS,
		}
		if u := c.reports.user; u != nil {
			m.TranscriptionDelayMS, m.EndOfTurnMS = u.TranscriptionDelayMS, u.EndOfTurnMS
			c.reports.user = nil
		}
		if m == (event.AgentTurnMetrics{Source: m.Source, ItemID: m.ItemID, Interrupted: m.Interrupted}) {
			return // a reply the agent measured nothing of
		}
		c.result.AgentMetrics = append(c.result.AgentMetrics, m)
		c.reports.at = append(c.reports.at, c.now())
		c.emit(event.Event{Type: event.AgentMetrics, Identity: e.Identity, Metrics: &m})
	}
}

// agentE2E is the agent's own end-to-end latency for its first reply that
// reported one: in a one-turn call, the reply that Stats.ReplyLatencyMS
// measures.
func (c *call) agentE2E() *float64 {
	for _, m := range c.result.AgentMetrics {
		if m.E2ELatencyMS != nil {
			v := *m.E2ELatencyMS
			return &v
		}
	}
	return nil
}

// latencyNote is the status line that puts the reply latency the call
// measured beside the agent's own figure; empty when neither is known.
func latencyNote(st event.CallStats) string {
	switch {
	case st.ReplyLatencyMS > 0 && st.AgentE2ELatencyMS != nil:
		return fmt.Sprintf("reply latency %d ms (the agent measured %.0f ms)", st.ReplyLatencyMS, math.Round(*st.AgentE2ELatencyMS))
	case st.ReplyLatencyMS > 0:
		return fmt.Sprintf("reply latency %d ms", st.ReplyLatencyMS)
	case st.AgentE2ELatencyMS != nil:
		return fmt.Sprintf("the agent measured its reply latency at %.0f ms", math.Round(*st.AgentE2ELatencyMS))
	}
	return ""
}
