package transcript

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// screen is a small terminal: enough of one to check what a person sees
// after the TTY's bytes, with auto-wrap at the width so that a live row
// that overflowed would leave stale text behind.
type screen struct {
	width    int
	rows     [][]rune
	soft     []bool // soft[i]: row i was wrapped onto row i+1 by the terminal
	row, col int
}

func newScreen(width int) *screen {
	return &screen{width: width, rows: [][]rune{nil}, soft: []bool{false}}
}

// resize makes the screen width columns wide, as a terminal that cuts its
// rows (reflow false: xterm) or one that re-wraps its lines (reflow true:
// VTE, kitty, tmux). The cursor must be at the start of a line, where the
// TTY leaves it between draws.
func (s *screen) resize(width int, reflow bool) {
	if s.col != 0 {
		panic("screen: resized with the cursor inside a line")
	}
	if !reflow {
		for i, row := range s.rows {
			if len(row) > width {
				s.rows[i] = row[:width]
			}
			s.soft[i] = false
		}
		s.width = width
		return
	}
	var lines [][]rune
	cursorLine := -1
	for i := 0; i < len(s.rows); i++ {
		if i == s.row {
			cursorLine = len(lines)
		}
		line := slices.Clone(s.rows[i])
		for s.soft[i] && i+1 < len(s.rows) {
			i++
			line = append(line, s.rows[i]...)
		}
		lines = append(lines, line)
	}
	s.width = width
	s.rows, s.soft, s.row = [][]rune{nil}, []bool{false}, 0
	for i, line := range lines {
		if i > 0 {
			s.newline()
		}
		if i == cursorLine {
			cursorRow := s.row
			defer func() { s.row, s.col = cursorRow, 0 }()
		}
		for _, r := range line {
			if r != 0 {
				s.put(r)
			}
		}
	}
}

func (s *screen) Write(p []byte) (int, error) {
	in := []rune(string(p))
	for i := 0; i < len(in); i++ {
		switch r := in[i]; {
		case r == '\r':
			s.col = 0
		case r == '\n': // the terminal's output processing turns \n into \r\n
			s.newline()
		case r == '\x1b':
			if i+1 >= len(in) || in[i+1] != '[' {
				return 0, fmt.Errorf("screen: lone ESC at %d in %q", i, p)
			}
			j := i + 2
			for j < len(in) && (in[j] >= '0' && in[j] <= '9' || in[j] == ';') {
				j++
			}
			if j == len(in) {
				return 0, fmt.Errorf("screen: unfinished escape sequence in %q", p)
			}
			if err := s.csi(string(in[i+2:j]), in[j]); err != nil {
				return 0, err
			}
			i = j
		case r < 0x20 || r == 0x7f:
			return 0, fmt.Errorf("screen: control character %q reached the terminal", r)
		default:
			s.put(r)
		}
	}
	return len(p), nil
}

func (s *screen) newline() {
	s.row++
	s.col = 0
	for len(s.rows) <= s.row {
		s.rows = append(s.rows, nil)
		s.soft = append(s.soft, false)
	}
}

func (s *screen) put(r rune) {
	w := runeWidth(r)
	if s.col+w > s.width {
		s.soft[s.row] = true
		s.newline()
	}
	line := s.rows[s.row]
	for len(line) < s.col+w {
		line = append(line, ' ')
	}
	line[s.col] = r
	if w == 2 {
		line[s.col+1] = 0 // the right half of a wide character
	}
	s.rows[s.row] = line
	s.col += w
}

func (s *screen) csi(params string, final rune) error {
	n := 1
	if params != "" && final != 'm' {
		v, err := strconv.Atoi(params)
		if err != nil {
			return fmt.Errorf("screen: CSI %s%c", params, final)
		}
		n = v
	}
	switch final {
	case 'A':
		s.row = max(s.row-n, 0)
	case 'J':
		if params != "" {
			return fmt.Errorf("screen: only CSI J (erase below) is expected, got CSI %sJ", params)
		}
		if s.col < len(s.rows[s.row]) {
			s.rows[s.row] = s.rows[s.row][:s.col]
		}
		s.rows = s.rows[:s.row+1]
		s.soft = s.soft[:s.row+1]
		s.soft[s.row] = false
	case 'm':
	default:
		return fmt.Errorf("screen: unexpected CSI %s%c", params, final)
	}
	return nil
}

// text is what the screen shows, one line per row, without trailing blanks.
func (s *screen) text() string {
	var b strings.Builder
	for _, row := range s.rows {
		b.WriteString(strings.TrimRight(strings.ReplaceAll(string(row), "\x00", ""), " "))
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
