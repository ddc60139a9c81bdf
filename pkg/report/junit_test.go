package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/internal/golden"
)

// hostileReport has agent text that XML cannot hold as it is.
func hostileReport() *Report {
	r := mixedReport()
	c := &r.Calls[1]
	c.Scenario = `refund <"quoted"> & co`
	c.Turns[0].Reply = "a < b && c > d \"q\" 'a' ]]> end\x00\x01\x1b[31mred\x7f \xff\xfe bad utf-8 \uFFFE"
	c.Turns[0].Checks[0].Actual = c.Turns[0].Reply
	return r
}

func TestJUnitGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		r    *Report
	}{
		{"pass", allPassReport()},
		{"mixed", mixedReport()},
		{"hostile", hostileReport()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJUnit(&buf, tt.r); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "testdata/junit_"+tt.name+".xml", buf.Bytes())
		})
	}
}

// parsed is what a JUnit reader takes from the file.
type parsed struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		File     string `xml:"file,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
			} `xml:"error"`
			Skipped   *struct{} `xml:"skipped"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, r *Report) parsed {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var p parsed
	dec := xml.NewDecoder(&buf)
	dec.Strict = true
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("the JUnit file does not parse: %v\n%s", err, buf.String())
	}
	return p
}

func TestJUnitParsesBackWithItsCounts(t *testing.T) {
	p := parseJUnit(t, hostileReport())
	// order: greeting, 2 turns, call; refund: greeting, 2 turns, call
	// (agent_turns failed); billing: one errored "call".
	if p.Tests != 9 || p.Failures != 2 || p.Errors != 1 || p.Skipped != 0 {
		t.Errorf("totals tests=%d failures=%d errors=%d skipped=%d, want 9/2/1/0", p.Tests, p.Failures, p.Errors, p.Skipped)
	}
	if len(p.Suites) != 3 {
		t.Fatalf("%d suites, want one per scenario (3)", len(p.Suites))
	}
	sum := 0
	for _, s := range p.Suites {
		n, f, e, sk := 0, 0, 0, 0
		for _, c := range s.Cases {
			n++
			switch {
			case c.Failure != nil:
				f++
			case c.Error != nil:
				e++
			case c.Skipped != nil:
				sk++
			}
		}
		if n != s.Tests || f != s.Failures || e != s.Errors || sk != s.Skipped {
			t.Errorf("suite %s says %d/%d/%d/%d, holds %d/%d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, n, f, e, sk)
		}
		sum += n
	}
	if sum != p.Tests {
		t.Errorf("suites hold %d cases, testsuites says %d", sum, p.Tests)
	}

	refund := p.Suites[1]
	if refund.Name != `refund <"quoted"> & co` || refund.File != "scenarios/refund.yaml" {
		t.Errorf("suite = %q in %q", refund.Name, refund.File)
	}
	turn := refund.Cases[1]
	if turn.Name != "turn 1: ask for a refund" || turn.Classname != refund.Name || turn.Time != "11.800" {
		t.Errorf("case = %q class %q time %s", turn.Name, turn.Classname, turn.Time)
	}
	if turn.Failure == nil || turn.Failure.Type != "contains, max_latency" || turn.Failure.Message != "2 checks failed: contains, max_latency" {
		t.Fatalf("failure = %+v", turn.Failure)
	}
	for _, want := range []string{"max_latency (line 10)\n  expected: ≤ 2s\n  actual:   2.43s\n", "a < b && c > d \"q\" 'a' ]]> end\uFFFD\uFFFD\uFFFD[31mred\x7f \uFFFD\uFFFD bad utf-8 \uFFFD"} {
		if !strings.Contains(turn.Failure.Text, want) {
			t.Errorf("failure text lacks %q:\n%s", want, turn.Failure.Text)
		}
	}
	if !strings.HasPrefix(turn.SystemOut, "you: I would like a refund for the blue kettle I bought last week\n(agent heard: I would like a refund for the blue cattle") {
		t.Errorf("system-out = %q", turn.SystemOut)
	}
	if c := refund.Cases[3]; c.Name != "call" || c.Failure == nil || c.Failure.Type != "agent_turns" {
		t.Errorf("call case = %+v", c)
	}
	billing := p.Suites[2]
	if len(billing.Cases) != 1 || billing.Cases[0].Error == nil || billing.Cases[0].Error.Type != "no_agent" {
		t.Errorf("a call that could not run is %+v, want one errored case", billing.Cases)
	}
}

func TestJUnitRepeatsAndBrokenCalls(t *testing.T) {
	broken := failingCall(1)
	broken.Repeat = 1
	broken.Verdict = Error
	broken.Error = &Failure{Kind: "connect", Code: 3, Message: "connection lost"}
	broken.Turns[0].Checks = nil
	broken.Turns[0].Verdict = Error
	broken.Turns[1].Verdict = Skipped
	first := passingCall(0, "refund", "scenarios/refund.yaml")
	r := baseReport(first, broken)
	r.Repeat = 2
	p := parseJUnit(t, r)
	if len(p.Suites) != 1 {
		t.Fatalf("%d suites, want the two repetitions in one", len(p.Suites))
	}
	cases := p.Suites[0].Cases
	if cases[0].Classname != "refund #1" || cases[4].Classname != "refund #2" {
		t.Errorf("classnames %q, %q", cases[0].Classname, cases[4].Classname)
	}
	if c := cases[5]; c.Error == nil || !strings.Contains(c.Error.Message, "connection lost") {
		t.Errorf("the turn the call broke in = %+v", c)
	}
	if c := cases[6]; c.Skipped == nil || c.Time != "0.000" {
		t.Errorf("the turn never reached = %+v", c)
	}
	if p.Tests != 8 || p.Failures != 1 || p.Errors != 1 || p.Skipped != 1 {
		t.Errorf("counts %d/%d/%d/%d, want 8 tests, 1 failure (agent_turns), 1 error, 1 skipped", p.Tests, p.Failures, p.Errors, p.Skipped)
	}
	if c := cases[7]; c.Failure == nil || !strings.Contains(c.Failure.Text, "the call also ended in error:\nconnection lost") {
		t.Errorf("the call's case = %+v, want its failed check with the error in the text", c)
	}
}

func TestXMLSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain <&> text\t\n\r": "plain <&> text\t\n\r",
		"\x00\x08\x0b\x1f":     "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\xff ok \xc3":         "\uFFFD ok \uFFFD",
		"\uFFFE\uFFFF":         "\uFFFD\uFFFD",
		"😀 é \u0085":           "😀 é \u0085",
	} {
		if got := xmlSafe(in); got != want {
			t.Errorf("xmlSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEveryWriterTakesAnEmptyReport(t *testing.T) {
	// A shard can be dealt no calls when there are more shards than
	// scenarios; its report must still render.
	r := &Report{Version: Version, Tool: "webcall", Shard: &Shard{Index: 3, Count: 3}}
	if p := parseJUnit(t, r); p.Tests != 0 || len(p.Suites) != 0 {
		t.Errorf("JUnit of no calls = %+v", p)
	}
	out := summary(t, r, SummaryOptions{})
	if !strings.Contains(out, "PASS   0 calls") || !strings.Contains(out, "no turn was answered") {
		t.Errorf("summary of no calls:\n%s", out)
	}
	var buf bytes.Buffer
	if err := WriteAnnotations(&buf, r); err != nil || buf.Len() != 0 {
		t.Errorf("annotations of no calls: %q, %v", buf.String(), err)
	}
	if r.Verdict() != Pass || r.FirstError() != nil {
		t.Errorf("verdict %q, first error %+v", r.Verdict(), r.FirstError())
	}
}
