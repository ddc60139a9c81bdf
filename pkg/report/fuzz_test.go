package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// FuzzRenderers puts arbitrary agent text through every rendering: the
// JUnit file must stay well-formed XML, each annotation one line, and
// each line of the summary within its width.
func FuzzRenderers(f *testing.F) {
	f.Add("plain reply", "scenario", 80)
	f.Add("a < b & \"c\" ]]> \x00\x1b[2J\xff\r\n", "a: b, c%", 40)
	f.Add("日本語😀e\u0301\u200d\u0085\uFFFE", "名前", 41)
	f.Fuzz(func(t *testing.T, text, name string, width int) {
		width = 40 + abs(width)%160
		r := mixedReport()
		c := &r.Calls[1]
		c.Scenario = name
		c.File = name + ".yaml"
		c.Turns[0].Name = text
		c.Turns[0].Said = text
		c.Turns[0].Reply = text
		c.Turns[0].Checks[0].Actual = text
		r.Calls[2].Error.Message = text
		r.Machines[0].Overloaded = true
		r.Machines[0].Notes = []string{text}

		var junit bytes.Buffer
		if err := WriteJUnit(&junit, r); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(&junit)
		for {
			_, err := dec.Token()
			if err != nil {
				if err == io.EOF {
					break
				}
				t.Fatalf("JUnit is not well-formed: %v", err)
			}
		}

		var ann bytes.Buffer
		if err := WriteAnnotations(&ann, r); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(ann.String(), "\n"), "\n")
		// Two failed checks of turn 1, agent_turns, the errored call.
		if len(lines) != 4 {
			t.Fatalf("%d annotation lines, want 4:\n%s", len(lines), ann.String())
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "::error ") || strings.ContainsRune(l, '\r') {
				t.Fatalf("annotation line %q", l)
			}
		}

		var sum bytes.Buffer
		if err := WriteSummary(&sum, r, SummaryOptions{Width: width}); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(sum.String(), "\n") {
			if textWidth(l) > width {
				t.Fatalf("summary line of %d columns at width %d: %q", textWidth(l), width, l)
			}
			if strings.ContainsRune(l, '\x1b') || strings.ContainsRune(l, '\r') {
				t.Fatalf("summary line holds a control character: %q", l)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
