package suite

import (
	"math"
	"path/filepath"
	"time"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/report"
	"github.com/webcall-cli/webcall/pkg/scenario"
)

// fillCall puts what the call observed into rc and, when judge is set,
// the verdict of every expectation. A call that ended early has turns it
// never reached: they are Skipped, and fail the call only through the
// deadline check that says why.
func fillCall(rc report.Call, sc *scenario.Scenario, res call.Result, judge bool) report.Call {
	if res.Connected > 0 {
		rc.ConnectMS = report.MS(res.Connected)
		if res.AgentJoined > 0 {
			rc.AgentJoinMS = report.MS(res.AgentJoined - res.Connected)
		}
	}
	rc.Pacing = report.Pacing{
		Frames:    res.Pacing.Frames,
		LateP50US: res.Pacing.LateP50.Microseconds(),
		LateP99US: res.Pacing.LateP99.Microseconds(),
		LateMaxUS: res.Pacing.LateMax.Microseconds(),
		Stalls:    res.Pacing.Stalls,
	}
	rc.AgentStates = res.AgentStates
	rc.AgentTurns = res.AgentTurns

	if sc.Greeting != nil || res.Greeting != nil {
		g := report.Turn{Index: -1, Name: "greeting", Kind: "greeting", Verdict: report.Pass}
		var gr call.TurnResult
		if res.Greeting != nil {
			gr = *res.Greeting
			g.Reply = gr.Reply
			if gr.Replied {
				g.ReplyStartMS, g.ReplyEndMS = report.MS(gr.ReplyStart), report.MS(gr.ReplyEnd)
				if gr.LongestGap > 0 {
					g.Latency.LongestGapMS = report.MS(gr.LongestGap)
				}
			}
		}
		if sc.Greeting != nil {
			g.Line = sc.Greeting.Line
			if judge {
				g.Checks = sc.Greeting.Judge(gr)
				g.Verdict = scenario.VerdictOf(g.Checks)
			}
		}
		rc.Greeting = &g
	}

	for i := range sc.Turns {
		st := &sc.Turns[i]
		t := newTurn(st)
		if i < len(res.Turns) {
			tr := res.Turns[i]
			fillTurn(&t, tr)
			if judge {
				t.Checks = st.Judge(tr)
				t.Verdict = scenario.VerdictOf(t.Checks)
			} else {
				t.Verdict = report.Error
			}
		}
		rc.Turns = append(rc.Turns, t)
	}
	if !judge {
		return rc
	}
	deadlineHit := res.Reason == call.ReasonMaxDuration
	rc.Checks = sc.JudgeCall(res, deadlineHit)
	rc.Verdict = report.Pass
	verdicts := []report.Verdict{scenario.VerdictOf(rc.Checks)}
	if rc.Greeting != nil {
		verdicts = append(verdicts, rc.Greeting.Verdict)
	}
	for _, t := range rc.Turns {
		verdicts = append(verdicts, t.Verdict)
	}
	for _, v := range verdicts {
		if v == report.Fail || v == report.Skipped {
			rc.Verdict = report.Fail
		}
	}
	return rc
}

// newTurn is a turn of the report before anything is known of it: what
// the scenario says, Skipped. A spoken file is named by its base name,
// which is what a person recognises in a table.
func newTurn(st *scenario.Turn) report.Turn {
	said := st.Said()
	if st.Kind() == "say" {
		said = filepath.Base(st.Say)
	}
	return report.Turn{Index: st.Index, Name: st.Name, Kind: st.Kind(), Line: st.Line, Said: said, Verdict: report.Skipped}
}

// fillTurn copies a turn's observations into its report.
func fillTurn(t *report.Turn, tr call.TurnResult) {
	t.Heard, t.Reply = tr.Heard, tr.Reply
	t.StartMS = tr.Start.Milliseconds()
	t.SpeechEndMS = report.MS(tr.SpeechEnd)
	t.States = tr.States
	ms := func(ok bool, d time.Duration) *int64 {
		if !ok {
			return nil
		}
		return report.MS(d)
	}
	if lat, ok := tr.Latency(); ok {
		t.Latency.AudioMS = report.MS(lat)
		t.ReplyStartMS, t.ReplyEndMS = report.MS(tr.ReplyStart), report.MS(tr.ReplyEnd)
		t.Latency.LongestGapMS = report.MS(tr.LongestGap)
	}
	t.Latency.CaptionMS = ms(tr.HasFirstCaption, tr.FirstCaption-tr.SpeechEnd)
	t.Latency.ThinkingMS = ms(tr.HasThinking, tr.Thinking-tr.SpeechEnd)
	t.Latency.SpeakingMS = ms(tr.HasSpeaking, tr.Speaking-tr.SpeechEnd)
	if d, ok := tr.StopLatency(); ok {
		t.Latency.StopMS = report.MS(d)
	}
	if a := tr.Agent; a != nil && a.E2ELatencyMS != nil {
		v := int64(math.Round(*a.E2ELatencyMS))
		t.Latency.AgentMS = &v
	}
}
