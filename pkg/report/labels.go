package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The names people see for calls and turns, shared by the JUnit file, the
// summary and the annotations so that one turn is called the same
// everywhere. Turns are numbered from 1 there, as a person counts them in
// the scenario file; the JSON keeps the 0-based Index.

// callLabel is the scenario's name, with the repetition (from 1) when the
// run repeats scenarios, since the same name then appears several times.
func (r *Report) callLabel(c *Call) string {
	if c.Repeat > 0 || r.Repeat > 1 {
		return fmt.Sprintf("%s #%d", c.Scenario, c.Repeat+1)
	}
	return c.Scenario
}

// turnLabel is "greeting" or "turn N: name".
func turnLabel(t *Turn) string {
	if t.Index < 0 || t.Kind == "greeting" {
		return "greeting"
	}
	if t.Name == "" {
		return fmt.Sprintf("turn %d", t.Index+1)
	}
	return fmt.Sprintf("turn %d: %s", t.Index+1, t.Name)
}

// turnShort is "greeting" or "turn N", for titles.
func turnShort(t *Turn) string {
	if t.Index < 0 || t.Kind == "greeting" {
		return "greeting"
	}
	return fmt.Sprintf("turn %d", t.Index+1)
}

// turnDurationMS is how long the turn took: from its start to the end of
// the reply, or to the next turn's start when the reply's end is unknown,
// or to the end of the call for the last one.
func (c *Call) turnDurationMS(t *Turn, next *Turn) int64 {
	if t.Verdict == Skipped {
		return 0
	}
	end := c.DurationMS
	switch {
	case t.ReplyEndMS != nil:
		end = *t.ReplyEndMS
	case next != nil && next.Verdict != Skipped:
		end = next.StartMS
	}
	return max(end-t.StartMS, 0)
}

// eachTurnWithNext is eachTurn with the turn that follows each one.
func (c *Call) eachTurnWithNext(f func(t, next *Turn)) {
	all := make([]*Turn, 0, len(c.Turns)+1)
	c.eachTurn(func(t *Turn) { all = append(all, t) })
	for i, t := range all {
		var next *Turn
		if i+1 < len(all) {
			next = all[i+1]
		}
		f(t, next)
	}
}

// reached says whether any turn of the call was attempted: a call that
// errored before its first turn "could not run".
func (c *Call) reached() bool {
	r := false
	c.eachTurn(func(t *Turn) {
		if t.Verdict != Skipped {
			r = true
		}
	})
	return r
}

// checkLine is "name (line N)".
func checkLine(ch Check) string {
	if ch.Line > 0 {
		return fmt.Sprintf("%s (line %d)", ch.Name, ch.Line)
	}
	return ch.Name
}

// checksText lists each check with what was expected and seen on their
// own lines.
func checksText(checks []Check) string {
	var b strings.Builder
	for _, ch := range checks {
		fmt.Fprintf(&b, "%s\n  expected: %s\n  actual:   %s\n", checkLine(ch), ch.Expected, ch.Actual)
	}
	return b.String()
}

// checksMessage is the one line that stands for failed checks.
func checksMessage(checks []Check) string {
	switch len(checks) {
	case 0:
		return "the turn failed"
	case 1:
		ch := checks[0]
		// Expected reads as a phrase already (`contains "refund"`,
		// "≤ 2s"), so it is not quoted again.
		return fmt.Sprintf("%s: expected %s, actual %s", ch.Name, truncate(ch.Expected, 80), truncate(ch.Actual, 80))
	}
	names := make([]string, len(checks))
	for i, ch := range checks {
		names[i] = ch.Name
	}
	return fmt.Sprintf("%d checks failed: %s", len(checks), strings.Join(names, ", "))
}

// truncate cuts s to at most n runes, ending in … when it was cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// failureText is a call's error as lines of text.
func failureText(f *Failure) string {
	s := f.Message + "\n"
	if f.Hint != "" {
		s += "hint: " + f.Hint + "\n"
	}
	return s + fmt.Sprintf("kind: %s, exit code %d\n", f.Kind, f.Code)
}

// callFailure is the call's error, or one that says it had none.
func (c *Call) callFailure() *Failure {
	if c.Error != nil {
		return c.Error
	}
	return &Failure{Kind: "internal", Code: 1, Message: "the call ended in error without a reason"}
}
