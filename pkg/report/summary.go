package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// SummaryOptions shape the summary table.
type SummaryOptions struct {
	// Color marks verdicts and warnings with ANSI colours; without it
	// the output holds no escape codes at all.
	Color bool
	// Width is the terminal's width in columns; 0 means 100 (not a
	// terminal), and anything under 40 counts as 40.
	Width int
}

const (
	defaultWidth = 100
	minWidth     = 40
	// detailIndent puts the lines under a row (failed checks, errors)
	// just right of the verdict column.
	detailIndent = 7

	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

// WriteSummary writes the report for a person to read at a glance: a row
// per turn (verdict, call, turn, what was said and heard, the reply and
// the audio latency) with the failed checks under their row, then the
// totals, the audio latency percentiles and the machines' load, with a
// warning when a machine was overloaded, since its lateness is then in
// the figures. Texts are cut to fit Width.
func WriteSummary(w io.Writer, r *Report, o SummaryOptions) error {
	if o.Width == 0 {
		o.Width = defaultWidth
	}
	o.Width = max(o.Width, minWidth)
	s := summaryWriter{o: o}
	s.table(r)
	s.totals(r)
	s.machines(r)
	if _, err := io.WriteString(w, s.b.String()); err != nil {
		return failure.Wrap(failure.Internal, err, "write the summary")
	}
	return nil
}

type summaryWriter struct {
	o SummaryOptions
	b strings.Builder
}

func (s *summaryWriter) color(code, text string) string {
	if !s.o.Color || code == "" {
		return text
	}
	return code + text + ansiReset
}

func verdictColor(v Verdict) string {
	switch v {
	case Pass:
		return ansiGreen
	case Fail:
		return ansiRed
	case Error:
		return ansiYellow
	}
	return ""
}

func verdictWord(v Verdict) string {
	switch v {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	case Error:
		return "ERROR"
	case Skipped:
		return "SKIP"
	}
	return strings.ToUpper(string(v))
}

// row is one line of the table before it is laid out, with the lines to
// print under it.
type row struct {
	verdict                 Verdict
	call, turn, said, reply string
	audio                   string
	details                 []detail
}

type detail struct {
	text  string
	color string
	// cut says the text is cut to one line rather than wrapped: the
	// figures of a check are read at a glance, and their full text is in
	// the JSON and JUnit files.
	cut bool
}

// Columns of the table. The verdict and the latency keep their width;
// the others shrink, the widest first, down to minColumn.
const (
	colCall = iota
	colTurn
	colSaid
	colReply
	nFlexible
	verdictWidth = 5
	gap          = 2
	minColumn    = 4
)

func (s *summaryWriter) table(r *Report) {
	rows := []row{{call: "CALL", turn: "TURN", said: "SAID → HEARD", reply: "REPLY", audio: "AUDIO"}}
	for i := range r.Calls {
		rows = append(rows, r.callRows(&r.Calls[i])...)
	}
	var widths [nFlexible]int
	audioWidth := 0
	for _, rw := range rows {
		for c, text := range [nFlexible]string{rw.call, rw.turn, rw.said, rw.reply} {
			widths[c] = max(widths[c], textWidth(text))
		}
		audioWidth = max(audioWidth, textWidth(rw.audio))
	}
	room := s.o.Width - verdictWidth - audioWidth - nFlexible*gap - gap
	for {
		total, widest := 0, 0
		for c := range widths {
			total += widths[c]
			if widths[c] > widths[widest] {
				widest = c
			}
		}
		if total <= room || widths[widest] <= minColumn {
			break
		}
		widths[widest]--
	}
	sep := strings.Repeat(" ", gap)
	for i, rw := range rows {
		cells := []string{
			pad(verdictWord(rw.verdict), verdictWidth, false),
			pad(rw.call, widths[colCall], false),
			pad(rw.turn, widths[colTurn], false),
			pad(rw.said, widths[colSaid], false),
			pad(rw.reply, widths[colReply], false),
			pad(rw.audio, audioWidth, true),
		}
		if i == 0 {
			s.b.WriteString(s.color(ansiBold, strings.TrimRight(strings.Join(cells, sep), " ")))
			s.b.WriteString("\n")
			continue
		}
		// Colour the word, not its padding, so the codes sit tight
		// around what they mark.
		word := verdictWord(rw.verdict)
		cells[0] = s.color(verdictColor(rw.verdict), word) + strings.Repeat(" ", verdictWidth-textWidth(word))
		s.b.WriteString(strings.TrimRight(strings.Join(cells, sep), " "))
		s.b.WriteString("\n")
		for _, d := range rw.details {
			s.detail(d)
		}
	}
}

// detail writes a line under a row, indented past the verdict column.
func (s *summaryWriter) detail(d detail) {
	indent := strings.Repeat(" ", detailIndent)
	// Continuation lines of a wrapped text line up with its first word
	// after a leading label such as "expected".
	lines := []string{fit(d.text, s.o.Width-detailIndent)}
	if !d.cut {
		lines = wrap(d.text, s.o.Width-detailIndent)
	}
	for _, l := range lines {
		s.b.WriteString(indent + s.color(d.color, l) + "\n")
	}
}

// callRows are the table's rows for one call: a row per turn, and a row
// for the call itself when its own checks failed or it ended in error.
func (r *Report) callRows(c *Call) []row {
	label := termSafe(r.callLabel(c))
	var rows []row
	if c.reached() || c.Outcome() != Error {
		c.eachTurn(func(t *Turn) {
			rw := row{
				verdict: t.Outcome(),
				turn:    termSafe(turnLabel(t)),
				said:    saidHeard(t),
				reply:   termSafe(t.Reply),
			}
			if t.Latency.AudioMS != nil {
				rw.audio = fmt.Sprintf("%d ms", *t.Latency.AudioMS)
			} else if rw.verdict != Skipped {
				rw.audio = "-"
			}
			rw.details = checkDetails(failedChecks(t.Checks))
			rows = append(rows, rw)
		})
	}
	failed := failedChecks(c.Checks)
	errored := c.Outcome() == Error || c.Error != nil
	if len(failed) > 0 || errored {
		rw := row{verdict: c.Outcome(), turn: "call"}
		rw.details = checkDetails(failed)
		if errored {
			f := c.callFailure()
			rw.details = append(rw.details, detail{text: termSafe(f.Message), color: ansiYellow})
			if f.Hint != "" {
				rw.details = append(rw.details, detail{text: "hint: " + termSafe(f.Hint)})
			}
		}
		rows = append(rows, rw)
	}
	if len(rows) > 0 {
		rows[0].call = label
	}
	return rows
}

func checkDetails(failed []Check) []detail {
	var out []detail
	for _, ch := range failed {
		out = append(out,
			detail{text: "✗ " + termSafe(checkLine(ch)), color: ansiRed},
			detail{text: "    expected  " + termSafe(ch.Expected), cut: true},
			detail{text: "    actual    " + termSafe(ch.Actual), cut: true},
		)
	}
	return out
}

// saidHeard is what the user said, and what the agent heard when that
// differs: a misheard word often explains a wrong reply.
func saidHeard(t *Turn) string {
	said := termSafe(t.Said)
	if said == "" && t.Kind == "silence" {
		said = "(silence)"
	}
	heard := termSafe(t.Heard)
	if heard == "" || heard == said {
		return said
	}
	return said + " → " + heard
}

// totals writes the footer: the run's verdict in the verdict column,
// then the counts and the latency percentiles, aligned with the table.
func (s *summaryWriter) totals(r *Report) {
	t := r.Totals()
	v := r.Verdict()
	s.b.WriteString("\n")
	s.b.WriteString(s.color(verdictColor(v), verdictWord(v)) + strings.Repeat(" ", detailIndent-textWidth(verdictWord(v))))
	s.block("", fmt.Sprintf("%d calls: %d passed, %d failed, %d errored",
		t.Calls, t.CallsPassed, t.CallsFailed, t.CallsErrored), false)
	s.block("", fmt.Sprintf("%d turns: %d passed, %d failed, %d skipped",
		t.Turns, t.TurnsPassed, t.TurnsFailed, t.TurnsSkipped), true)
	a := r.Latencies()
	if st := a.AudioMS; st != nil {
		s.block("", fmt.Sprintf("audio latency p50 %d ms · p90 %d ms · p99 %d ms · max %d ms (%d turns)",
			st.P50, st.P90, st.P99, st.Max, st.Count), true)
	} else {
		s.block("", "audio latency: no turn was answered", true)
	}
	var setup []string
	if st := a.ConnectMS; st != nil {
		setup = append(setup, fmt.Sprintf("connect p50 %d ms", st.P50))
	}
	if st := a.AgentJoinMS; st != nil {
		setup = append(setup, fmt.Sprintf("agent join p50 %d ms", st.P50))
	}
	// Send pacing is the machine's own lateness: next to the latencies
	// it says how much of them is not the agent's.
	if a.PacingLateP99US > 0 || a.PacingLateMaxUS > 0 {
		setup = append(setup, fmt.Sprintf("send pacing p99 %s ms late, worst %s ms",
			usAsMS(a.PacingLateP99US), usAsMS(a.PacingLateMaxUS)))
	}
	if len(setup) > 0 {
		s.block("", strings.Join(setup, " · "), true)
	}
}

// usAsMS is microseconds as milliseconds with one decimal.
func usAsMS(us int64) string {
	return fmt.Sprintf("%.1f", float64(us)/1000)
}

// block writes text wrapped into the columns right of the verdict;
// indent says the first line, too, must be indented (the caller has not
// written a label in the verdict column).
func (s *summaryWriter) block(code, text string, indent bool) {
	for i, l := range wrap(text, s.o.Width-detailIndent) {
		if i > 0 || indent {
			s.b.WriteString(strings.Repeat(" ", detailIndent))
		}
		s.b.WriteString(s.color(code, l) + "\n")
	}
}

func (s *summaryWriter) machines(r *Report) {
	for _, m := range r.Machines {
		name := "machine"
		if m.Hostname != "" {
			name += " " + termSafe(m.Hostname)
		}
		var about []string
		if m.Shard != nil {
			about = append(about, "shard "+shardName(m.Shard))
		}
		if m.CPUs > 0 {
			about = append(about, fmt.Sprintf("%d CPUs", m.CPUs))
		}
		if len(about) > 0 {
			name += " (" + strings.Join(about, ", ") + ")"
		}
		s.block("", fmt.Sprintf("%s: load %.2f → %.2f, CPU %.0f%%, peak RSS %d MB",
			name, m.Load1Start, m.Load1End, m.CPUPercent, m.PeakRSSBytes>>20), true)
		if m.Overloaded {
			why := ""
			for _, n := range m.Notes {
				why += termSafe(n) + "; "
			}
			why = strings.TrimSuffix(why, "; ")
			if why != "" {
				why += ": "
			}
			s.block(ansiYellow, "warning: overloaded: "+why+
				"the latencies above include this machine's lateness, not only the agent's", true)
		}
	}
}
