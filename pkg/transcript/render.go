package transcript

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/termtext"
)

// Renderer draws the events of a call. It is given every event; each
// renderer picks what it shows. Close ends the output but does not close
// the writer the renderer was made with, which its caller owns.
type Renderer interface {
	Render(e event.Event) error
	Close() error
}

// ErrorRenderer is a Renderer that can also report how the call failed, as
// its last output: a script that reads only the JSON stream on stdout
// still learns the error, its exit code and its hint. Renderers for people
// leave this out; the error goes to stderr for them.
type ErrorRenderer interface {
	Renderer
	// Error renders err, with the exit code the process will return.
	Error(err error, code int)
}

// ErrClosed is returned by Render after Close.
var ErrClosed = errors.New("transcript: renderer is closed")

// label names a speaker in front of its words.
func label(speaker string) string {
	switch speaker {
	case event.SpeakerUser:
		return "you"
	case event.SpeakerAgent:
		return "agent"
	case "":
		return "?"
	}
	return oneLine(speaker)
}

// chatLabel names the writer of a chat message, set apart from what was
// said aloud: "you (chat)", "agent (chat)". The TTY and Plain renderers
// both use it.
func chatLabel(speaker string) string { return label(speaker) + " (chat)" }

// finalText returns the text of a final transcript event, and false for
// any other event.
func finalText(e event.Event) (string, bool) {
	if e.Type != event.Transcript || e.Final == nil || !*e.Final {
		return "", false
	}
	return oneLine(e.Text), true
}

// oneLine makes caption text safe and fit for one line of a terminal or a
// line-oriented pipe. The text comes from a remote participant: control
// characters (escape sequences above all) are dropped so that it cannot
// move the cursor or restyle the user's terminal, and line breaks, tabs
// and runs of spaces become one space. Agents often start a chunk with a
// space; leading and trailing space is dropped.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case unicode.IsControl(r), isBidiControl(r):
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dropControls removes what oneLine removes, control characters and the
// invisible reordering ones, and keeps the spacing: for text of the
// program's own laid out in columns, such as a status row.
func dropControls(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isBidiControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// isBidiControl reports the invisible characters that reorder the text
// shown after them (the "Trojan Source" ones), which a caption has no use
// for.
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// runeWidth and textWidth measure text in terminal columns.
var (
	runeWidth = termtext.RuneWidth
	textWidth = termtext.Width
)

// ellipsis marks text left out of a live caption.
const ellipsis = "…"

// fitTail returns s if it fits in cols columns, or else an ellipsis and
// the longest end of s that fits after it: the newest words of a caption
// are the ones worth seeing.
func fitTail(s string, cols int) string {
	if textWidth(s) <= cols {
		return s
	}
	if cols < 1 {
		return ""
	}
	used := textWidth(ellipsis)
	start := len(s)
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:start])
		if used+runeWidth(r) > cols {
			break
		}
		used += runeWidth(r)
		start -= size
	}
	// Combining marks at the cut belong to a character left out.
	for start < len(s) {
		r, size := utf8.DecodeRuneInString(s[start:])
		if runeWidth(r) != 0 {
			break
		}
		start += size
	}
	return ellipsis + s[start:]
}

// fitHead returns s if it fits in cols columns, or else the longest start
// of s that fits before an ellipsis: for a status row, whose first fields
// matter most.
func fitHead(s string, cols int) string {
	if textWidth(s) <= cols {
		return s
	}
	if cols < 1 {
		return ""
	}
	room := cols - textWidth(ellipsis)
	used, end := 0, 0
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if used+runeWidth(r) > room {
			break
		}
		used += runeWidth(r)
		end += size
	}
	return s[:end] + ellipsis
}
