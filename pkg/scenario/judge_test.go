package scenario

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/report"
)

func pat(src string) *Pattern {
	return &Pattern{Source: src, Regexp: regexp.MustCompile("(?i)" + src)}
}

// reply is a TurnResult in which the agent answered text 1.2 s after the
// user's 1 s of speech.
func reply(text string) call.TurnResult {
	return call.TurnResult{
		Kind: call.TurnSay, Start: time.Second, SpeechStart: time.Second, SpeechEnd: 2 * time.Second, Voiced: true,
		Heard: "I'd like to book a table", Reply: text,
		Replied: true, ReplyStart: 3200 * time.Millisecond, ReplyEnd: 6 * time.Second,
		LongestGap: 400 * time.Millisecond,
	}
}

func noReplyResult() call.TurnResult {
	return call.TurnResult{Kind: call.TurnSay, SpeechEnd: 2 * time.Second, Heard: "hello", TimedOut: true}
}

func bargedIn(stoppedAfter time.Duration) call.TurnResult {
	r := reply("ok")
	r.Interrupted = true
	r.StoppedAt = r.SpeechStart + stoppedAfter
	return r
}

func TestJudgeTurn(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name   string
		turn   Turn
		result call.TurnResult
		want   []report.Check // Line 0 means: do not compare
	}{
		{"replied", Turn{Say: "a.wav", Expect: Expect{Reply: &yes, Lines: map[string]int{"reply": 4}}}, reply("Hello"),
			[]report.Check{{Name: "replied", Line: 4, Passed: true, Expected: "a reply", Actual: "Hello"}}},
		{"no reply when one was expected", Turn{Say: "a.wav", Expect: Expect{Reply: &yes}}, noReplyResult(),
			[]report.Check{{Name: "replied", Passed: false, Expected: "a reply", Actual: "(no reply before the timeout)"}}},
		{"audio without a transcript is no reply", Turn{Say: "a.wav", Expect: Expect{Reply: &yes}}, reply("  "),
			[]report.Check{{Name: "replied", Passed: false, Expected: "a reply", Actual: "(audio but no transcript)"}}},
		{"quiet as expected", Turn{Silence: time.Second, Expect: Expect{Reply: &no}}, call.TurnResult{Kind: call.TurnSilence},
			[]report.Check{{Name: "replied", Passed: true, Expected: "no reply", Actual: "(no reply)"}}},
		{"spoke when it should not", Turn{Silence: time.Second, Expect: Expect{Reply: &no}}, reply("Are you there?"),
			[]report.Check{{Name: "replied", Passed: false, Expected: "no reply", Actual: "Are you there?"}}},
		{"silence, reply unchecked", Turn{Silence: time.Second}, reply("Hi"), nil},
		{"contains, case and spaces folded", Turn{Say: "a.wav", Expect: Expect{Contains: []string{"Table  for", "TONIGHT"}, ContainsLines: []int{7, 8}}},
			reply("A table\nfor two, tonight?"),
			[]report.Check{
				{Name: "contains", Line: 7, Passed: true, Expected: `contains "Table  for"`, Actual: "A table\nfor two, tonight?"},
				{Name: "contains", Line: 8, Passed: true, Expected: `contains "TONIGHT"`, Actual: "A table\nfor two, tonight?"},
			}},
		{"contains missing", Turn{Say: "a.wav", Expect: Expect{Contains: []string{"tomorrow"}}}, reply("tonight"),
			[]report.Check{{Name: "contains", Passed: false, Expected: `contains "tomorrow"`, Actual: "tonight"}}},
		{"contains without a reply", Turn{Say: "a.wav", Expect: Expect{Contains: []string{"x"}}}, call.TurnResult{},
			[]report.Check{{Name: "contains", Passed: false, Expected: `contains "x"`, Actual: "(no reply)"}}},
		{"matches", Turn{Say: "a.wav", Expect: Expect{Matches: pat("two|2")}}, reply("For Two people"),
			[]report.Check{{Name: "matches", Passed: true, Expected: "matches /two|2/", Actual: "For Two people"}}},
		{"matches fails", Turn{Say: "a.wav", Expect: Expect{Matches: pat("two|2")}}, reply("for three"),
			[]report.Check{{Name: "matches", Passed: false, Expected: "matches /two|2/", Actual: "for three"}}},
		{"matches, no reply", Turn{Say: "a.wav", Expect: Expect{Matches: pat("two|2")}}, noReplyResult(),
			[]report.Check{{Name: "matches", Passed: false, Expected: "matches /two|2/", Actual: "(no reply before the timeout)"}}},
		{"not_matches", Turn{Say: "a.wav", Expect: Expect{NotMatches: pat("sorry")}}, reply("Sure"),
			[]report.Check{{Name: "not_matches", Passed: true, Expected: "does not match /sorry/", Actual: "Sure"}}},
		{"not_matches fails", Turn{Say: "a.wav", Expect: Expect{NotMatches: pat("sorry")}}, reply("SORRY, full"),
			[]report.Check{{Name: "not_matches", Passed: false, Expected: "does not match /sorry/", Actual: "SORRY, full"}}},
		{"not_matches needs a reply", Turn{Say: "a.wav", Expect: Expect{NotMatches: pat("sorry")}}, noReplyResult(),
			[]report.Check{{Name: "not_matches", Passed: false, Expected: "does not match /sorry/", Actual: "(no reply before the timeout)"}}},
		{"heard", Turn{Say: "a.wav", Expect: Expect{Heard: pat("book a table")}}, reply("ok"),
			[]report.Check{{Name: "heard", Passed: true, Expected: "heard /book a table/", Actual: "I'd like to book a table"}}},
		{"heard wrong", Turn{Say: "a.wav", Expect: Expect{Heard: pat("book a table")}}, func() call.TurnResult { r := reply("ok"); r.Heard = "look at the cable"; return r }(),
			[]report.Check{{Name: "heard", Passed: false, Expected: "heard /book a table/", Actual: "look at the cable"}}},
		{"heard nothing", Turn{Say: "a.wav", Expect: Expect{Heard: pat("x")}}, call.TurnResult{},
			[]report.Check{{Name: "heard", Passed: false, Expected: "heard /x/", Actual: "(nothing heard)"}}},
		{"heard on chat is the message", Turn{Chat: "three people", Expect: Expect{Heard: pat("three")}}, call.TurnResult{Kind: call.TurnChat},
			[]report.Check{{Name: "heard", Passed: true, Expected: "heard /three/", Actual: "three people"}}},
		{"max_latency", Turn{Say: "a.wav", Expect: Expect{MaxLatency: 2 * time.Second}}, reply("ok"),
			[]report.Check{{Name: "max_latency", Passed: true, Expected: "≤ 2s", Actual: "1.2s"}}},
		{"max_latency exceeded", Turn{Say: "a.wav", Expect: Expect{MaxLatency: time.Second}},
			func() call.TurnResult { r := reply("ok"); r.ReplyStart = r.SpeechEnd + 2430*time.Millisecond; return r }(),
			[]report.Check{{Name: "max_latency", Passed: false, Expected: "≤ 1s", Actual: "2.43s"}}},
		{"max_latency, no reply", Turn{Say: "a.wav", Expect: Expect{MaxLatency: time.Second}}, call.TurnResult{},
			[]report.Check{{Name: "max_latency", Passed: false, Expected: "≤ 1s", Actual: "(no reply)"}}},
		{"max_gap", Turn{Say: "a.wav", Expect: Expect{MaxGap: 500 * time.Millisecond}}, reply("ok"),
			[]report.Check{{Name: "max_gap", Passed: true, Expected: "≤ 500ms", Actual: "400ms"}}},
		{"max_gap exceeded", Turn{Say: "a.wav", Expect: Expect{MaxGap: 300 * time.Millisecond}}, reply("ok"),
			[]report.Check{{Name: "max_gap", Passed: false, Expected: "≤ 300ms", Actual: "400ms"}}},
		{"max_stop", Turn{Say: "a.wav", Expect: Expect{MaxStop: time.Second}}, bargedIn(600 * time.Millisecond),
			[]report.Check{{Name: "max_stop", Passed: true, Expected: "≤ 1s", Actual: "600ms"}}},
		{"max_stop too slow", Turn{Say: "a.wav", Expect: Expect{MaxStop: time.Second}}, bargedIn(1500 * time.Millisecond),
			[]report.Check{{Name: "max_stop", Passed: false, Expected: "≤ 1s", Actual: "1.5s"}}},
		{"max_stop, nothing interrupted", Turn{Say: "a.wav", Expect: Expect{MaxStop: time.Second}}, reply("ok"),
			[]report.Check{{Name: "max_stop", Passed: false, Expected: "≤ 1s", Actual: "the agent was not speaking when the user began"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.turn.Judge(tt.result)
			if len(got) != len(tt.want) {
				t.Fatalf("checks = %+v\nwant %+v", got, tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if w.Line == 0 {
					g.Line = 0
				}
				if g != w {
					t.Errorf("check %d = %+v\nwant      %+v", i, g, w)
				}
			}
		})
	}
}

// A check without a line of its own points at the expect block.
func TestJudgeLineFallsBackToTheExpectBlock(t *testing.T) {
	yes := true
	e := Expect{Reply: &yes, Line: 12}
	if got := e.Judge(reply("hi")); len(got) != 1 || got[0].Line != 12 {
		t.Errorf("checks = %+v, want line 12", got)
	}
}

func TestJudgeCall(t *testing.T) {
	s := &Scenario{Line: 1, Timeout: time.Minute, TimeoutLine: 3, Expect: CallExpect{
		States:     []string{"listening", "thinking", "speaking"},
		AgentTurns: &Range{Min: 3, Max: 3},
		Lines:      map[string]int{"states": 20, "agent_turns": 21},
	}}
	res := call.Result{
		Reason:      call.ReasonReplyOver,
		AgentStates: []string{"initializing", "listening", "speaking", "listening", "thinking", "speaking", "listening"},
		AgentTurns:  3,
	}
	got := s.JudgeCall(res, false)
	want := []report.Check{
		{Name: "deadline", Line: 3, Passed: true, Expected: "ends within 1m", Actual: "ended in time: the agent's reply is over"},
		{Name: "states", Line: 20, Passed: true, Expected: "in order: listening, thinking, speaking", Actual: "initializing, listening, speaking, listening, thinking, speaking, listening"},
		{Name: "agent_turns", Line: 21, Passed: true, Expected: "exactly 3", Actual: "3"},
	}
	if !equalChecks(got, want) {
		t.Errorf("checks:\n%+v\nwant\n%+v", got, want)
	}
	if v := VerdictOf(got); v != report.Pass {
		t.Errorf("verdict = %s", v)
	}

	res.AgentStates = []string{"listening", "speaking", "thinking"}
	res.AgentTurns = 5
	got = s.JudgeCall(res, true)
	want = []report.Check{
		{Name: "deadline", Line: 3, Passed: false, Expected: "ends within 1m", Actual: "still running at the deadline"},
		{Name: "states", Line: 20, Passed: false, Expected: "in order: listening, thinking, speaking", Actual: "listening, speaking, thinking (no speaking after thinking)"},
		{Name: "agent_turns", Line: 21, Passed: false, Expected: "exactly 3", Actual: "5"},
	}
	if !equalChecks(got, want) {
		t.Errorf("checks:\n%+v\nwant\n%+v", got, want)
	}
	if v := VerdictOf(got); v != report.Fail {
		t.Errorf("verdict = %s", v)
	}
}

func TestJudgeCallWithoutExpectations(t *testing.T) {
	s := &Scenario{Line: 2, Timeout: DefaultTimeout}
	got := s.JudgeCall(call.Result{}, false)
	if len(got) != 1 || got[0].Name != "deadline" || got[0].Line != 2 || !got[0].Passed || got[0].Expected != "ends within 2m" {
		t.Errorf("checks = %+v, want only a passing deadline at the scenario's line", got)
	}
}

func TestStatesSubsequence(t *testing.T) {
	tests := []struct {
		want, seen []string
		missing    int
	}{
		{nil, nil, -1},
		{[]string{"speaking"}, nil, 0},
		{[]string{"listening", "speaking"}, []string{"listening", "thinking", "speaking"}, -1},
		{[]string{"Speaking"}, []string{"speaking"}, -1},
		{[]string{"thinking", "listening"}, []string{"listening", "thinking"}, 1},
		{[]string{"speaking", "speaking"}, []string{"speaking"}, 1},
		{[]string{"speaking", "speaking"}, []string{"speaking", "listening", "speaking"}, -1},
	}
	for _, tt := range tests {
		if got := missingState(tt.want, tt.seen); got != tt.missing {
			t.Errorf("missingState(%q, %q) = %d, want %d", tt.want, tt.seen, got, tt.missing)
		}
	}
}

func TestAgentTurnsRange(t *testing.T) {
	tests := []struct {
		r      Range
		n      int
		passed bool
		text   string
	}{
		{Range{2, 4}, 1, false, "between 2 and 4"},
		{Range{2, 4}, 2, true, "between 2 and 4"},
		{Range{2, 4}, 4, true, "between 2 and 4"},
		{Range{2, 4}, 5, false, "between 2 and 4"},
		{Range{2, -1}, 99, true, "at least 2"},
		{Range{0, 1}, 2, false, "at most 1"},
		{Range{0, 0}, 0, true, "exactly 0"},
	}
	for _, tt := range tests {
		s := &Scenario{Expect: CallExpect{AgentTurns: &tt.r}}
		got := s.JudgeCall(call.Result{AgentTurns: tt.n}, false)
		c := got[len(got)-1]
		if c.Name != "agent_turns" || c.Passed != tt.passed || c.Expected != tt.text {
			t.Errorf("%+v with %d: %+v", tt.r, tt.n, c)
		}
	}
}

func TestVerdictOf(t *testing.T) {
	if VerdictOf(nil) != report.Pass {
		t.Error("no checks should pass")
	}
	if VerdictOf([]report.Check{{Passed: true}, {Passed: false}}) != report.Fail {
		t.Error("a failed check should fail")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2430 * time.Millisecond:    "2.43s",
		2430400 * time.Microsecond: "2.43s",
		800 * time.Millisecond:     "800ms",
		time.Minute:                "1m",
		90 * time.Second:           "1m30s",
		time.Hour:                  "1h",
		0:                          "0s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func equalChecks(a, b []report.Check) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The loader and the judge agree on names: a loaded turn's checks carry
// the lines of their keys.
func TestLoadedTurnChecksCarryLines(t *testing.T) {
	inDir(t)
	src := "turns:\n  - say: audio/hello.wav\n    expect:\n      contains:\n        - table\n        - tonight\n      max_latency: 2s\n"
	ss, err := loadSource(t, src)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range ss[0].Turns[0].Judge(reply("a table tonight")) {
		lines = append(lines, c.Name+":"+strconv.Itoa(c.Line))
	}
	if got, want := strings.Join(lines, " "), "replied:3 contains:5 contains:6 max_latency:7"; got != want {
		t.Errorf("check lines = %s, want %s", got, want)
	}
}
