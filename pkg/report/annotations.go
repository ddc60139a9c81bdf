package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// WriteAnnotations writes a GitHub Actions error annotation for each
// failed check (or failed turn without one) and each call that ended in
// error, pointing at the line of the scenario file the expectation is on,
// so that a pull request shows the failure next to the scenario.
func WriteAnnotations(w io.Writer, r *Report) error {
	var b strings.Builder
	for i := range r.Calls {
		c := &r.Calls[i]
		label := r.callLabel(c)
		c.eachTurn(func(t *Turn) {
			if t.Outcome() != Fail {
				return
			}
			title := label + " " + turnShort(t)
			failed := failedChecks(t.Checks)
			if len(failed) == 0 {
				annotate(&b, c.File, firstLine(t.Line, c.Line), title, "the turn failed")
			}
			for _, ch := range failed {
				annotate(&b, c.File, firstLine(ch.Line, t.Line, c.Line), title, checkMessage(ch))
			}
		})
		for _, ch := range failedChecks(c.Checks) {
			annotate(&b, c.File, firstLine(ch.Line, c.Line), label+" call", checkMessage(ch))
		}
		if c.Outcome() == Error || c.Error != nil {
			f := c.callFailure()
			msg := f.Message
			if f.Hint != "" {
				msg += "\n" + f.Hint
			}
			annotate(&b, c.File, c.Line, label, msg)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return failure.Wrap(failure.Internal, err, "write the annotations")
	}
	return nil
}

func checkMessage(ch Check) string {
	return fmt.Sprintf("%s failed\nexpected: %s\nactual: %s", ch.Name, ch.Expected, ch.Actual)
}

func firstLine(lines ...int) int {
	for _, l := range lines {
		if l > 0 {
			return l
		}
	}
	return 0
}

func annotate(b *strings.Builder, file string, line int, title, msg string) {
	b.WriteString("::error ")
	var props []string
	if file != "" {
		props = append(props, "file="+escapeProperty(file))
	}
	if line > 0 {
		props = append(props, fmt.Sprintf("line=%d", line))
	}
	props = append(props, "title="+escapeProperty(title))
	b.WriteString(strings.Join(props, ","))
	b.WriteString("::")
	b.WriteString(escapeData(msg))
	b.WriteString("\n")
}

// escapeData escapes a workflow command's message the way the runner
// unescapes it: % first, so that the escapes themselves survive.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty also escapes the characters that separate properties.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
