package report

import (
	"strings"
	"unicode"

	"github.com/webcall-cli/webcall/pkg/termtext"
)

// Text for a terminal: agent replies can hold anything, and a newline or
// an escape sequence in one must neither break the table nor reach the
// terminal as a command.

// termSafe puts s on one line: whitespace controls become spaces, other
// control characters and invalid UTF-8 become U+FFFD.
func termSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r) // invalid bytes range as U+FFFD already
		}
	}
	return b.String()
}

// cells and textWidth measure text in terminal columns, as the live
// transcript does.
var (
	cells     = termtext.RuneWidth
	textWidth = termtext.Width
)

// fit cuts s to at most w columns, ending in … when it was cut; it never
// splits a rune.
func fit(s string, w int) string {
	if textWidth(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		c := cells(r)
		if used+c > w-1 {
			break
		}
		b.WriteRune(r)
		used += c
	}
	return b.String() + "…"
}

// pad fits s into exactly w columns, padding on the right (or the left
// when right is set).
func pad(s string, w int, right bool) string {
	s = fit(s, w)
	fill := strings.Repeat(" ", w-textWidth(s))
	if right {
		return fill + s
	}
	return s + fill
}

// wrap breaks s into lines of at most w columns at spaces, cutting a
// word only when it is longer than a line.
func wrap(s string, w int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for textWidth(word) > w {
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			head := prefix(word, w)
			lines = append(lines, head)
			word = word[len(head):]
		}
		switch {
		case line == "":
			line = word
		case textWidth(line)+1+textWidth(word) <= w:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// prefix is the longest start of s that fits in w columns, and at least
// its first rune, so that a caller cutting s into pieces always advances.
func prefix(s string, w int) string {
	used := 0
	for i, r := range s {
		c := cells(r)
		if used+c > w && i > 0 {
			return s[:i]
		}
		used += c
	}
	return s
}
