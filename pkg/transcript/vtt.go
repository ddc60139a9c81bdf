package transcript

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// MinCueDuration is the shortest a WebVTT cue is shown. A segment whose
// text arrived all at once (a user's final caption, a one-word reply) has
// no length of its own, and a cue must end after it starts.
const MinCueDuration = time.Second

// WriteVTT writes c's final segments as WebVTT captions on the timeline of
// the call's recording: a cue's times are the segment's start and end
// minus AudioStart, the moment the recording's first sample was sent, so
// that a player showing the recording with these captions shows each
// caption while it is spoken. Cues are ordered by start, identified by the
// segment id where that is a valid cue identifier, and voiced with the
// speaker ("<v agent>", "<v user>"). Chat is not speech and is left out.
// A gap in the connection is a NOTE, in its place among the cues, that
// says when it began and how long it lasted; segments let go before the
// call ended (SegmentsNotKept) are a NOTE before the first cue.
func (c Conversation) WriteVTT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	if c.SegmentsNotKept > 0 {
		fmt.Fprintf(&b, "\nNOTE %s\n", notKeptWords(c.SegmentsNotKept))
	}
	ids := map[string]bool{}
	audioStart := c.AudioStart.Truncate(time.Millisecond)
	gaps := c.gaps()
	note := func(g Gap) {
		fmt.Fprintf(&b, "\nNOTE %s %s\n", vttTime(max(g.Start-audioStart, 0)), gapWords(g))
	}
	for _, s := range c.finalSegments() {
		for len(gaps) > 0 && gaps[0].Start <= s.start {
			note(gaps[0])
			gaps = gaps[1:]
		}
		start := max(s.start-audioStart, 0)
		end := max(s.end-audioStart, start+MinCueDuration)
		b.WriteString("\n")
		if cueID(s.ID) && !ids[s.ID] {
			ids[s.ID] = true
			b.WriteString(s.ID + "\n")
		}
		fmt.Fprintf(&b, "%s --> %s\n<v %s>%s\n", vttTime(start), vttTime(end), vttEscape(oneLine(string(s.Speaker))), vttEscape(oneLine(s.Text)))
	}
	for _, g := range gaps {
		note(g)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write captions: %w", err)
	}
	return nil
}

// vttTime spells d as a WebVTT timestamp, hh:mm:ss.mmm.
func vttTime(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000)
}

// vttEscape makes text safe as a cue's payload or a voice's annotation:
// the three characters that start markup or entities are escaped, which
// also rules out "-->".
func vttEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cueID says whether id can stand as a cue identifier: one line, without
// "-->". Others, and repeats (identifiers must be unique), are left out:
// identifiers are optional.
func cueID(id string) bool {
	return id != "" && id == oneLine(id) && !strings.Contains(id, "-->")
}
