package transcript

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
)

// DefaultWidth is the terminal width assumed when none is known.
const DefaultWidth = 80

// TTYOptions tune a TTY renderer.
type TTYOptions struct {
	// Width returns the terminal's width in columns. It is asked at every
	// redraw, so a resized terminal is followed. nil, or a result below 1,
	// means DefaultWidth.
	Width func() int
	// Color makes speaker labels bold and colored, interim text dim and
	// the status row's state colored. Content is the same either way: with
	// Color off nothing but text and the cursor movements of the live area
	// is written.
	Color bool
	// StatusRow shows the call's state and time as the bottom row of the
	// live area (see Tick).
	StatusRow bool
	// Limit is how long the call may last from its Connected event, for
	// the status row to show the time left; 0 is no limit.
	Limit time.Duration
}

// TTY draws captions for a person at a terminal. Final captions and chat
// messages are printed as ordinary lines, wrapped at spaces to the
// terminal's width with a hanging indent under the text:
//
//	agent: It is sunny and 21 degrees in
//	       Paris today.
//
// Below them is a live area, redrawn in place, from top to bottom:
//   - one entry per caption still being spoken, as it changes: a user's
//     and the agent's interims each keep their own entry, of at most
//     maxLiveRows rows showing the newest words;
//   - the status row (TTYOptions.StatusRow): the call's state in words,
//     its time, and the footer (SetFooter), such as a level meter; or the
//     footer alone without a status row;
//   - the line being typed (SetInput).
//
// The live area is only known to the TTY, so anything else written to the
// same terminal must go through StatusWriter. TTY is safe for concurrent
// use, so status, ticks and typing may come from other goroutines than
// the call loop.
type TTY struct {
	mu     sync.Mutex
	w      io.Writer
	opts   TTYOptions
	live   []liveRow // interim segments, in order of first appearance
	footer string    // ends the status row; "" for none
	input  string    // the line being typed; "" for no input row
	call   callState
	// drawn holds the rows of the live area on screen, top first, as
	// plain text; the cursor is at the start of the row below them.
	drawn []string
	// shownStatus is the status row's text when last drawn, untruncated:
	// a tick redraws only when it changed.
	shownStatus string
	noStatus    bool // Close has removed the status row
	status      []*statusWriter
	buf         []byte
	closed      bool
}

type liveRow struct {
	segmentID string
	speaker   string
	text      string
}

var _ Renderer = (*TTY)(nil)

// NewTTY returns a TTY renderer writing to w, which should be a terminal.
func NewTTY(w io.Writer, opts TTYOptions) *TTY {
	return &TTY{w: w, opts: opts}
}

// SGR sequences for decoration.
const (
	sgrReset = "\x1b[0m"
	sgrDim   = "\x1b[2m"
	sgrUser  = "\x1b[1;36m" // bold cyan
	sgrAgent = "\x1b[1;35m" // bold magenta
	sgrOther = "\x1b[1m"
)

// minTextRoom is the fewest columns worth a hanging indent: on a
// narrower terminal, a caption's lines wrap under its label instead.
const minTextRoom = 10

// Render draws e: captions and chat messages as lines, and the events
// that change the status row there. Other events (warnings, the agent's
// metrics, stats) are not the TTY's to show.
func (t *TTY) Render(e event.Event) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	switch e.Type {
	case event.Transcript:
		return t.renderCaption(e)
	case event.Chat:
		text := oneLine(e.Text)
		if text == "" {
			return nil
		}
		t.buf = t.appendClear(t.buf[:0])
		t.buf = t.appendLine(t.buf, chatLabel(e.Speaker), e.Speaker, text)
		t.buf = t.appendLive(t.buf)
		return t.flush()
	}
	if !t.call.apply(e) {
		return nil
	}
	return t.redrawIfChanged()
}

func (t *TTY) renderCaption(e event.Event) error {
	text := oneLine(e.Text)
	// A segment is keyed by its id; without one, by its speaker, so that
	// each speaker still has one live entry.
	id := e.SegmentID
	if id == "" {
		id = "\x00" + e.Speaker
	}
	at := slices.IndexFunc(t.live, func(r liveRow) bool { return r.segmentID == id })
	final := e.Final != nil && *e.Final

	t.buf = t.appendClear(t.buf[:0])
	switch {
	case final || text == "":
		// The final replaces the interim whatever their lengths: the
		// interim's rows are erased with the rest of the live area.
		if at >= 0 {
			t.live = slices.Delete(t.live, at, at+1)
		}
		if final && text != "" {
			t.buf = t.appendLine(t.buf, label(e.Speaker), e.Speaker, text)
		}
	case at >= 0:
		t.live[at].text = text
	default:
		t.live = append(t.live, liveRow{segmentID: id, speaker: e.Speaker, text: text})
	}
	t.buf = t.appendLive(t.buf)
	return t.flush()
}

// Tick tells the TTY the time since the call's time zero (the clock of
// the events' TimeMS), for the status row's clock and spinner. The row is
// redrawn only when its text changed, so ticking often costs nothing.
func (t *TTY) Tick(elapsed time.Duration) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	t.call.elapsed = elapsed
	return t.redrawIfChanged()
}

// SetFooter shows text at the end of the status row (or as a row of its
// own without one), at the bottom of the live area, where it stays as
// captions and status lines are printed above it. It is meant for a
// reading that changes often (a level meter): setting the text already
// shown writes nothing. The row is cut at the terminal's width, with an
// ellipsis; control characters are dropped. "" removes the footer.
func (t *TTY) SetFooter(text string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	text = dropControls(text)
	if text == t.footer {
		return nil
	}
	t.footer = text
	return t.redraw()
}

// SetInput shows text as the line being typed, the last row of the live
// area ("type › hello▏"), cut to its newest characters when too long.
// Control characters are dropped. "" removes the row.
func (t *TTY) SetInput(text string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	text = dropControls(text)
	if text == t.input {
		return nil
	}
	t.input = text
	return t.redraw()
}

// Close ends the live area: the status row, footer and input row are
// erased, interim rows still on screen are left as they are (the call
// loop settles every caption before it closes the renderer; one that
// never settled stays as it was last seen) and held status text is
// written. It is safe to call more than once.
func (t *TTY) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	var errs []error
	t.footer, t.input, t.noStatus = "", "", true
	if err := t.redraw(); err != nil {
		errs = append(errs, err)
	}
	t.closed = true
	t.live = nil
	t.drawn = nil
	for _, s := range t.status {
		if len(s.partial) > 0 {
			if _, err := s.w.Write(s.partial); err != nil {
				errs = append(errs, fmt.Errorf("write status: %w", err))
			}
			s.partial = nil
		}
	}
	return errors.Join(errs...)
}

func (t *TTY) width() int {
	if t.opts.Width == nil {
		return DefaultWidth
	}
	if w := t.opts.Width(); w >= 1 {
		return w
	}
	return DefaultWidth
}

// redraw draws the live area again, in one write.
func (t *TTY) redraw() error {
	t.buf = t.appendClear(t.buf[:0])
	t.buf = t.appendLive(t.buf)
	return t.flush()
}

// redrawIfChanged redraws when the status row would read differently.
func (t *TTY) redrawIfChanged() error {
	row, ok := t.statusRow()
	if !ok || plainText(row) == t.shownStatus {
		return nil
	}
	return t.redraw()
}

// statusRow is the status row to draw, if any.
func (t *TTY) statusRow() ([]span, bool) {
	switch {
	case t.opts.StatusRow && !t.noStatus:
		// The call says its own limit, which a provider's cap may make
		// shorter than the one the TTY was told.
		limit := t.opts.Limit
		if t.call.limit > 0 {
			limit = t.call.limit
		}
		return t.call.spans(limit, t.footer), true
	case t.footer != "":
		return []span{{t.footer, ""}}, true
	}
	return nil, false
}

// appendClear erases the live area: up to its first row, then everything
// below the cursor. The cursor ends at the start of the first live row.
//
// The rows to go up are counted at the terminal's width now, which may
// not be the width they were drawn at. A terminal made wider leaves each
// row on one row. A terminal made narrower either cuts its rows (xterm,
// the Linux console) or re-wraps them (reflows: VTE, Konsole, kitty,
// iTerm2, Terminal.app, Windows Terminal, tmux), and a row can take
// several rows then. The count assumes reflow: counted short, the old
// rows would stay on screen as garbage above the new ones; counted long,
// on a terminal that cuts, as many lines of what was printed above the
// live area are taken off the screen (not out of the scrollback) and the
// screen stays clean. The live area is drawn again at the new width.
func (t *TTY) appendClear(b []byte) []byte {
	if len(t.drawn) == 0 {
		return b
	}
	width := t.width()
	rows := 0
	for _, r := range t.drawn {
		rows += rowsAt(r, width)
	}
	b = append(b, "\r\x1b["...)
	b = strconv.AppendInt(b, int64(rows), 10)
	b = append(b, "A\x1b[J"...)
	t.drawn = t.drawn[:0]
	return b
}

// cols is the width rows are drawn to: one column short of the terminal,
// since writing the last column leaves some terminals in a pending-wrap
// state that would throw off the count of rows to erase.
func (t *TTY) cols() int { return max(t.width()-1, 1) }

// appendLive draws the live area from the cursor, each row ending with a
// newline, and notes its rows in t.drawn.
func (t *TTY) appendLive(b []byte) []byte {
	cols := t.cols()
	for _, r := range t.live {
		name := label(r.speaker)
		prefix := name + ": "
		room := cols - textWidth(prefix)
		if room < minTextRoom {
			for _, line := range liveLines(prefix+r.text, cols, cols) {
				b = t.appendRow(b, line, sgrDim)
			}
			continue
		}
		indent := strings.Repeat(" ", textWidth(prefix))
		for i, line := range liveLines(r.text, room, room) {
			lead := prefix
			if i == 0 {
				b = t.appendLabel(b, name, r.speaker)
			} else {
				lead = indent
				b = append(b, indent...)
			}
			if t.opts.Color {
				b = append(b, sgrDim...)
				b = append(b, line...)
				b = append(b, sgrReset...)
			} else {
				b = append(b, line...)
			}
			b = append(b, '\n')
			t.drawn = append(t.drawn, lead+line)
		}
	}
	if row, ok := t.statusRow(); ok {
		var shown string
		b, shown = appendSpans(b, row, cols, t.opts.Color)
		b = append(b, '\n')
		t.drawn = append(t.drawn, shown)
		t.shownStatus = plainText(row)
	}
	if t.input != "" {
		const prompt, caret = "type › ", "▏"
		room := cols - textWidth(prompt)
		if room < 2 {
			return t.appendRow(b, fitTail(prompt+t.input+caret, cols), "")
		}
		text := fitTail(t.input+caret, room)
		if t.opts.Color {
			b = append(b, sgrDim+prompt+sgrReset...)
		} else {
			b = append(b, prompt...)
		}
		b = append(b, text...)
		b = append(b, '\n')
		t.drawn = append(t.drawn, prompt+text)
	}
	return b
}

// appendRow draws one row of the live area, decorated with sgr.
func (t *TTY) appendRow(b []byte, text, sgr string) []byte {
	if t.opts.Color && sgr != "" {
		b = append(b, sgr...)
		b = append(b, text...)
		b = append(b, sgrReset...)
	} else {
		b = append(b, text...)
	}
	t.drawn = append(t.drawn, text)
	return append(b, '\n')
}

// appendLine prints a finished line above the live area: "name: text",
// wrapped at spaces to the terminal's width, the lines after the first
// indented under the text. The cursor must be where the live area
// starts.
func (t *TTY) appendLine(b []byte, name, speaker, text string) []byte {
	cols := t.cols()
	prefix := name + ": "
	room := cols - textWidth(prefix)
	if room < minTextRoom {
		for _, line := range wrapWords(prefix+text, cols, cols) {
			b = append(b, line...)
			b = append(b, '\n')
		}
		return b
	}
	indent := strings.Repeat(" ", textWidth(prefix))
	for i, line := range wrapWords(text, room, room) {
		if i == 0 {
			b = t.appendLabel(b, name, speaker)
		} else {
			b = append(b, indent...)
		}
		b = append(b, line...)
		b = append(b, '\n')
	}
	return b
}

// appendLabel writes "name: ", decorated for speaker when Color is on.
func (t *TTY) appendLabel(b []byte, name, speaker string) []byte {
	if !t.opts.Color {
		b = append(b, name...)
		return append(b, ": "...)
	}
	switch speaker {
	case event.SpeakerUser:
		b = append(b, sgrUser...)
	case event.SpeakerAgent:
		b = append(b, sgrAgent...)
	default:
		b = append(b, sgrOther...)
	}
	b = append(b, name...)
	b = append(b, sgrReset...)
	return append(b, ": "...)
}

// flush writes t.buf in one Write, so a frame is never half drawn by us.
func (t *TTY) flush() error {
	if len(t.buf) == 0 {
		return nil
	}
	if _, err := t.w.Write(t.buf); err != nil {
		return fmt.Errorf("write transcript: %w", err)
	}
	return nil
}
