package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/report"
)

// What Actual says when there is nothing to show.
const (
	noReply     = "(no reply)"
	nothingSaid = "(nothing heard)"
	notSpeaking = "the agent was not speaking when the user began"
)

// Judge checks the turn's result against its expectations. A chat turn's
// heard is judged on the message sent, which is what the agent received.
func (t *Turn) Judge(r call.TurnResult) []report.Check {
	heard := r.Heard
	if t.Kind() == "chat" {
		heard = t.Chat
	}
	return t.Expect.judge(r, heard)
}

// Judge checks a reply with no turn of its own, the greeting.
func (e *Expect) Judge(r call.TurnResult) []report.Check {
	return e.judge(r, r.Heard)
}

// judge returns the checks in a fixed order (the order of the format's
// documentation), one per expectation given, one per contains entry.
func (e *Expect) judge(r call.TurnResult, heard string) []report.Check {
	var out []report.Check
	add := func(name string, line int, passed bool, expected, actual string) {
		if line == 0 {
			line = e.Line
		}
		out = append(out, report.Check{Name: name, Line: line, Passed: passed, Expected: expected, Actual: actual})
	}
	reply := strings.TrimSpace(r.Reply)
	replied := r.Replied && reply != ""
	shown := reply
	if !replied {
		shown = noReplyText(r)
	}

	if e.Reply != nil {
		if *e.Reply {
			add("replied", e.Lines["reply"], replied, "a reply", shown)
		} else {
			// Any audio counts: a reply without a transcript is still the
			// agent talking when it should not.
			quiet := !r.Replied && reply == ""
			actual := "(no reply)"
			if !quiet {
				actual = replyOrAudio(r, reply)
			}
			add("replied", e.Lines["reply"], quiet, "no reply", actual)
		}
	}
	for i, want := range e.Contains {
		line := 0
		if i < len(e.ContainsLines) {
			line = e.ContainsLines[i]
		}
		ok := replied && strings.Contains(normalise(reply), normalise(want))
		add("contains", line, ok, "contains "+strconv.Quote(want), shown)
	}
	if e.Matches != nil {
		ok := replied && e.Matches.Regexp.MatchString(reply)
		add("matches", e.Lines["matches"], ok, "matches /"+e.Matches.Source+"/", shown)
	}
	if e.NotMatches != nil {
		ok := replied && !e.NotMatches.Regexp.MatchString(reply)
		add("not_matches", e.Lines["not_matches"], ok, "does not match /"+e.NotMatches.Source+"/", shown)
	}
	if e.Heard != nil {
		h := strings.TrimSpace(heard)
		actual := h
		if h == "" {
			actual = nothingSaid
		}
		add("heard", e.Lines["heard"], h != "" && e.Heard.Regexp.MatchString(h), "heard /"+e.Heard.Source+"/", actual)
	}
	if e.MaxLatency > 0 {
		d, ok := r.Latency()
		add("max_latency", e.Lines["max_latency"], ok && d <= e.MaxLatency, "≤ "+formatDuration(e.MaxLatency), figure(d, ok, noReplyText(r)))
	}
	if e.MaxGap > 0 {
		add("max_gap", e.Lines["max_gap"], r.Replied && r.LongestGap <= e.MaxGap, "≤ "+formatDuration(e.MaxGap), figure(r.LongestGap, r.Replied, noReplyText(r)))
	}
	if e.MaxStop > 0 {
		d, ok := r.StopLatency()
		add("max_stop", e.Lines["max_stop"], ok && d <= e.MaxStop, "≤ "+formatDuration(e.MaxStop), figure(d, ok, notSpeaking))
	}
	return out
}

func noReplyText(r call.TurnResult) string {
	switch {
	case r.Replied:
		return "(audio but no transcript)"
	case r.TimedOut:
		return "(no reply before the timeout)"
	}
	return noReply
}

func replyOrAudio(r call.TurnResult, reply string) string {
	if reply != "" {
		return reply
	}
	return "(audio but no transcript)"
}

func figure(d time.Duration, ok bool, otherwise string) string {
	if !ok {
		return otherwise
	}
	return formatDuration(d)
}

// normalise folds case and runs of white space, so that contains does not
// depend on how a transcriber capitalised or spaced the reply.
func normalise(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// formatDuration writes d to the millisecond, without the zero units Go
// spells out (1m rather than 1m0s).
func formatDuration(d time.Duration) string {
	s := d.Round(time.Millisecond).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// JudgeCall checks what the whole call must show: that it ended before
// its deadline (deadlineHit says it did not), the agent's states, and how
// many times the agent spoke.
func (s *Scenario) JudgeCall(res call.Result, deadlineHit bool) []report.Check {
	line := func(key string) int {
		if l := s.Expect.Lines[key]; l > 0 {
			return l
		}
		return s.Line
	}
	deadlineLine := s.TimeoutLine
	if deadlineLine == 0 {
		deadlineLine = s.Line
	}
	actual := "ended in time"
	if res.Reason != "" {
		actual += ": " + res.Reason
	}
	if deadlineHit {
		actual = "still running at the deadline"
	}
	out := []report.Check{{
		Name: "deadline", Line: deadlineLine, Passed: !deadlineHit,
		Expected: "ends within " + formatDuration(s.Timeout), Actual: actual,
	}}
	if len(s.Expect.States) > 0 {
		missing := missingState(s.Expect.States, res.AgentStates)
		seen := strings.Join(res.AgentStates, ", ")
		if seen == "" {
			seen = "(no states)"
		}
		if missing >= 0 {
			seen += fmt.Sprintf(" (no %s", s.Expect.States[missing])
			if missing > 0 {
				seen += " after " + s.Expect.States[missing-1]
			}
			seen += ")"
		}
		out = append(out, report.Check{
			Name: "states", Line: line("states"), Passed: missing < 0,
			Expected: "in order: " + strings.Join(s.Expect.States, ", "), Actual: seen,
		})
	}
	if r := s.Expect.AgentTurns; r != nil {
		ok := res.AgentTurns >= r.Min && (r.Max < 0 || res.AgentTurns <= r.Max)
		out = append(out, report.Check{
			Name: "agent_turns", Line: line("agent_turns"), Passed: ok,
			Expected: r.String(), Actual: strconv.Itoa(res.AgentTurns),
		})
	}
	return out
}

// missingState is the index of the first of want that does not follow the
// ones before it in seen, or -1 when want is a subsequence of seen.
func missingState(want, seen []string) int {
	i := 0
	for _, s := range seen {
		if i < len(want) && strings.EqualFold(s, want[i]) {
			i++
		}
	}
	if i == len(want) {
		return -1
	}
	return i
}

func (r Range) String() string {
	switch {
	case r.Min == r.Max:
		return "exactly " + strconv.Itoa(r.Min)
	case r.Max < 0:
		return "at least " + strconv.Itoa(r.Min)
	case r.Min == 0:
		return "at most " + strconv.Itoa(r.Max)
	}
	return fmt.Sprintf("between %d and %d", r.Min, r.Max)
}

// VerdictOf is Fail if any check failed, else Pass: a turn or call with no
// expectations passes, since it ran.
func VerdictOf(checks []report.Check) report.Verdict {
	for _, c := range checks {
		if !c.Passed {
			return report.Fail
		}
	}
	return report.Pass
}
