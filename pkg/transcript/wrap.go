package transcript

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// maxLiveRows is how many terminal rows one interim caption may take: its
// newest words, enough to read along, without pushing everything else off
// a small terminal.
const maxLiveRows = 3

// wrapWords breaks text (single spaces between words, as oneLine leaves
// it) into lines of at most first columns for the first line and rest
// columns for the others, at spaces. A word longer than a whole line is
// broken where the line ends. Both widths must be at least 1. Empty text
// is one empty line.
func wrapWords(text string, first, rest int) []string {
	var lines []string
	room := first
	var line strings.Builder
	used := 0
	for _, word := range strings.Split(text, " ") {
		w := textWidth(word)
		switch {
		case used > 0 && used+1+w <= room:
			line.WriteByte(' ')
			line.WriteString(word)
			used += 1 + w
			continue
		case used == 0 && w <= room:
			line.WriteString(word)
			used = w
			continue
		}
		if used > 0 {
			lines = append(lines, line.String())
			line.Reset()
			used = 0
			room = rest
		}
		// The word starts a line; too long for one, it is cut into pieces.
		for w > room {
			head, tail := cutColumns(word, room)
			if head == "" { // a wide character in a one-column line
				head, tail = firstRune(word)
			}
			lines = append(lines, head)
			room = rest
			word, w = tail, textWidth(tail)
		}
		line.WriteString(word)
		used = w
	}
	if used > 0 || len(lines) == 0 {
		lines = append(lines, line.String())
	}
	return lines
}

// cutColumns splits s after the longest start that fits in cols columns;
// combining marks stay with the character before them.
func cutColumns(s string, cols int) (head, tail string) {
	used, end := 0, 0
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if w := runeWidth(r); w > 0 && used+w > cols {
			break
		} else {
			used += w
		}
		end += size
	}
	return s[:end], s[end:]
}

func firstRune(s string) (head, tail string) {
	_, size := utf8.DecodeRuneInString(s)
	return s[:size], s[size:]
}

// liveLines wraps an interim caption like wrapWords, to at most
// maxLiveRows lines: when the text is longer, its oldest words give way to
// an ellipsis, so that the words being spoken now stay in view.
func liveLines(text string, first, rest int) []string {
	lines := wrapWords(text, first, rest)
	if len(lines) <= maxLiveRows {
		return lines
	}
	words := strings.Split(text, " ")
	// Dropping more words never makes the text take more lines, so the
	// fewest to drop can be searched for.
	drop := sort.Search(len(words), func(i int) bool {
		return len(wrapWords(ellipsis+strings.Join(words[i:], " "), first, rest)) <= maxLiveRows
	})
	if drop == len(words) {
		// One word too long for all the rows: its end, on one row.
		return []string{fitTail(words[len(words)-1], first)}
	}
	return wrapWords(ellipsis+strings.Join(words[drop:], " "), first, rest)
}

// rowsAt is how many rows a row of text that was drawn on one line takes
// on a terminal cols wide that re-wraps (reflows) its lines when resized:
// a wide character that does not fit at the end of a row moves to the
// next.
func rowsAt(s string, cols int) int {
	rows, col := 1, 0
	for _, r := range s {
		w := runeWidth(r)
		if col+w > cols && col > 0 {
			rows++
			col = 0
		}
		col += w
	}
	return rows
}
