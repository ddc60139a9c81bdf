package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// The JUnit XML that Jenkins, GitLab and GitHub's test reporters read:
// <testsuites> holds a <testsuite> per scenario, which holds a <testcase>
// per turn. Counts are attributes at both levels because some readers
// trust them rather than counting.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Stamp    string       `xml:"timestamp,attr,omitempty"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	File     string      `xml:"file,attr,omitempty"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Stamp    string      `xml:"timestamp,attr,omitempty"`
	Cases    []junitCase `xml:"testcase"`

	durationMS int64
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *struct{}     `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// WriteJUnit writes r as a JUnit XML file. Each turn is a test case named
// "turn N: name" (or "greeting") in the class of its scenario (with " #k"
// for the k-th repetition when scenarios repeat); the call's own checks
// are a test case "call"; a call that could not run at all is that one
// test case, with an <error>. Text from the agent is made valid XML 1.0:
// characters XML cannot hold (most control characters, invalid UTF-8)
// become U+FFFD.
func WriteJUnit(w io.Writer, r *Report) error {
	doc := junitSuites{
		Name: "webcall test",
		Time: seconds(r.DurationMS),
	}
	if !r.StartedAt.IsZero() {
		// The JUnit schema's timestamp has no time zone; UTC keeps
		// shards from machines in different zones comparable.
		doc.Stamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	index := map[[2]string]int{}
	for i := range r.Calls {
		c := &r.Calls[i]
		key := [2]string{c.File, c.Scenario}
		si, ok := index[key]
		if !ok {
			si = len(doc.Suites)
			index[key] = si
			doc.Suites = append(doc.Suites, junitSuite{Name: xmlSafe(c.Scenario), File: xmlSafe(c.File), Stamp: doc.Stamp})
		}
		s := &doc.Suites[si]
		s.Cases = append(s.Cases, r.junitCases(c)...)
		s.durationMS += c.DurationMS
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.Time = seconds(s.durationMS)
		for _, tc := range s.Cases {
			s.Tests++
			switch {
			case tc.Failure != nil:
				s.Failures++
			case tc.Error != nil:
				s.Errors++
			case tc.Skipped != nil:
				s.Skipped++
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return junitError(err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(&doc); err != nil {
		return junitError(err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return junitError(err)
	}
	return nil
}

func junitError(err error) error {
	return failure.Wrap(failure.Internal, err, "write the JUnit report")
}

// junitCases are the test cases of one call.
func (r *Report) junitCases(c *Call) []junitCase {
	class := xmlSafe(r.callLabel(c))
	file := xmlSafe(c.File)
	callCase := func() junitCase {
		tc := junitCase{Name: "call", Classname: class, File: file, Line: c.Line, Time: seconds(c.DurationMS)}
		failed := failedChecks(c.Checks)
		// A failed check is a regression and wins, as in Outcome; the
		// call's error, if it also had one, goes into the text.
		switch {
		case len(failed) > 0:
			text := checksText(failed)
			if c.Error != nil {
				text += "\nthe call also ended in error:\n" + failureText(c.Error)
			}
			tc.Failure = &junitProblem{
				Message: xmlSafe(checksMessage(failed)),
				Type:    xmlSafe(checkNames(failed)),
				Text:    xmlSafe(text),
			}
		case c.Outcome() == Error || c.Error != nil:
			f := c.callFailure()
			tc.Error = &junitProblem{Message: xmlSafe(f.Message), Type: xmlSafe(f.Kind), Text: xmlSafe(failureText(f))}
		}
		return tc
	}
	if !c.reached() && c.Outcome() == Error {
		return []junitCase{callCase()}
	}
	var cases []junitCase
	c.eachTurnWithNext(func(t, next *Turn) {
		tc := junitCase{
			Name:      xmlSafe(turnLabel(t)),
			Classname: class,
			File:      file,
			Line:      t.Line,
			Time:      seconds(c.turnDurationMS(t, next)),
		}
		switch t.Outcome() {
		case Fail:
			failed := failedChecks(t.Checks)
			tc.Failure = &junitProblem{
				Message: xmlSafe(checksMessage(failed)),
				Type:    xmlSafe(checkNames(failed)),
				Text:    xmlSafe(checksText(failed)),
			}
		case Error:
			f := c.callFailure()
			tc.Error = &junitProblem{
				Message: xmlSafe("the call broke off in this turn: " + f.Message),
				Type:    xmlSafe(f.Kind),
				Text:    xmlSafe(failureText(f)),
			}
		case Skipped:
			tc.Skipped = &struct{}{}
		}
		if out := transcriptText(t); out != "" {
			tc.SystemOut = &junitText{Text: xmlSafe(out)}
		}
		cases = append(cases, tc)
	})
	if len(c.Checks) > 0 || c.Error != nil || c.Outcome() == Error {
		cases = append(cases, callCase())
	}
	return cases
}

// transcriptText is what was said in the turn, as a transcript reads.
func transcriptText(t *Turn) string {
	var b strings.Builder
	if t.Said != "" {
		fmt.Fprintf(&b, "you: %s\n", t.Said)
	}
	if t.Heard != "" && t.Heard != t.Said {
		fmt.Fprintf(&b, "(agent heard: %s)\n", t.Heard)
	}
	if t.Reply != "" {
		fmt.Fprintf(&b, "agent: %s\n", t.Reply)
	}
	return b.String()
}

func checkNames(checks []Check) string {
	names := make([]string, len(checks))
	for i, ch := range checks {
		names[i] = ch.Name
	}
	if len(names) == 0 {
		return "check"
	}
	return strings.Join(names, ", ")
}

func seconds(ms int64) string {
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}

// xmlSafe replaces what XML 1.0 cannot hold (control characters other
// than tab, newline and carriage return, surrogates, U+FFFE/U+FFFF and
// invalid UTF-8) with U+FFFD. encoding/xml escapes <, & and quotes, but
// passes such characters through into a file that readers then reject.
func xmlSafe(s string) string {
	clean := utf8.ValidString(s)
	for _, r := range s {
		if clean && !xmlChar(r) {
			clean = false
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	// Ranging over a string yields U+FFFD for each invalid byte, which
	// is just what is written for it.
	for _, r := range s {
		if !xmlChar(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

func xmlChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}
