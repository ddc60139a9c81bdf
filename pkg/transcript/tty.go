package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"

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
	// Color makes speaker labels bold and colored and interim text dim.
	// Content is the same either way.
	Color bool
}

// TTY draws captions for a person at a terminal. Final captions are
// printed in full as ordinary lines, like Plain. Below them is a live area
// of interim captions, one row per segment still being spoken, redrawn in
// place as their text changes: a user's and the agent's interims each
// keep their own row. A live row never wraps: text too long for the
// terminal shows its newest words after an ellipsis.
//
// Below the interim rows, the live area may end with a footer
// (SetFooter): one row of the caller's own, such as a level meter, that
// stays at the bottom while captions and status lines scroll above it.
//
// The live area is only known to the TTY, so anything else written to the
// same terminal must go through StatusWriter. TTY is safe for concurrent
// use, so status may come from another goroutine than the call loop.
type TTY struct {
	mu     sync.Mutex
	w      io.Writer
	opts   TTYOptions
	live   []liveRow // interim segments, in order of first appearance
	footer string    // the last row of the live area; "" for none
	drawn  int       // rows of the live area on screen; the cursor is at the start of the row below
	status []*statusWriter
	buf    []byte
	closed bool
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

// Render draws e if it is a caption; other events are not the TTY's to
// show.
func (t *TTY) Render(e event.Event) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	if e.Type != event.Transcript {
		return nil
	}
	text := oneLine(e.Text)
	// A segment is keyed by its id; without one, by its speaker, so that
	// each speaker still has one live row.
	id := e.SegmentID
	if id == "" {
		id = "\x00" + e.Speaker
	}
	at := slices.IndexFunc(t.live, func(r liveRow) bool { return r.segmentID == id })
	final := e.Final != nil && *e.Final

	t.buf = t.appendClear(t.buf[:0])
	switch {
	case final || text == "":
		if at >= 0 {
			t.live = slices.Delete(t.live, at, at+1)
		}
		if final && text != "" {
			t.buf = t.appendLabel(t.buf, e.Speaker)
			t.buf = append(t.buf, text...)
			t.buf = append(t.buf, '\n')
		}
	case at >= 0:
		t.live[at].text = text
	default:
		t.live = append(t.live, liveRow{segmentID: id, speaker: e.Speaker, text: text})
	}
	t.buf = t.appendLive(t.buf)
	return t.flush()
}

// StatusWriter returns a writer for status lines headed for w (typically
// standard error on the same terminal). Each complete line written to it
// is printed above the live area, which is then drawn again below it; a
// line without its newline yet is held until the newline comes or the TTY
// is closed.
func (t *TTY) StatusWriter(w io.Writer) io.Writer {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &statusWriter{tty: t, w: w}
	t.status = append(t.status, s)
	return s
}

// SetFooter shows text as the last row of the live area, below the
// interim captions, where it stays as captions and status lines are
// printed above it. It is meant for a status row that changes often (a
// level meter): setting the text already shown writes nothing. The row is
// cut at the terminal's width, with an ellipsis; control characters are
// dropped. "" removes the row.
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
	t.buf = t.appendClear(t.buf[:0])
	t.buf = t.appendLive(t.buf)
	return t.flush()
}

// Close ends the live area: the footer is erased, interim rows still on
// screen are left as they are (the call loop settles every caption before
// it closes the renderer) and held status text is written. It is safe to
// call more than once.
func (t *TTY) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	var errs []error
	if t.footer != "" {
		t.footer = ""
		t.buf = t.appendClear(t.buf[:0])
		t.buf = t.appendLive(t.buf)
		if err := t.flush(); err != nil {
			errs = append(errs, err)
		}
	}
	t.closed = true
	t.live = nil
	t.drawn = 0
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

// appendClear erases the live area: up to its first row, then everything
// below the cursor. The cursor ends at the start of the first live row.
func (t *TTY) appendClear(b []byte) []byte {
	if t.drawn == 0 {
		return b
	}
	b = append(b, "\r\x1b["...)
	b = strconv.AppendInt(b, int64(t.drawn), 10)
	b = append(b, "A\x1b[J"...)
	t.drawn = 0
	return b
}

// appendLive draws the live area from the cursor, one row per interim
// segment and then the footer, each ending with a newline. Rows stay one
// column short of the
// width: writing the last column leaves some terminals in a pending-wrap
// state that would throw off the count of rows to erase.
func (t *TTY) appendLive(b []byte) []byte {
	cols := t.width() - 1
	for _, r := range t.live {
		name := label(r.speaker)
		room := cols - textWidth(name) - len(": ")
		if room < 2 {
			// Too narrow for label and words: plain row, cut to fit.
			b = append(b, fitTail(name+": "+r.text, max(cols, 1))...)
		} else {
			b = t.appendLabel(b, r.speaker)
			if t.opts.Color {
				b = append(b, sgrDim...)
			}
			b = append(b, fitTail(r.text, room)...)
			if t.opts.Color {
				b = append(b, sgrReset...)
			}
		}
		b = append(b, '\n')
		t.drawn++
	}
	if t.footer != "" {
		b = append(b, fitHead(t.footer, max(cols, 1))...)
		b = append(b, '\n')
		t.drawn++
	}
	return b
}

// appendLabel writes "label: ", decorated when Color is on.
func (t *TTY) appendLabel(b []byte, speaker string) []byte {
	if !t.opts.Color {
		b = append(b, label(speaker)...)
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
	b = append(b, label(speaker)...)
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

// statusWriter prints whole lines above a TTY's live area.
type statusWriter struct {
	tty     *TTY
	w       io.Writer
	partial []byte
}

func (s *statusWriter) Write(p []byte) (int, error) {
	t := s.tty
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return s.w.Write(p)
	}
	s.partial = append(s.partial, p...)
	end := bytes.LastIndexByte(s.partial, '\n')
	if end < 0 {
		return len(p), nil
	}
	lines := s.partial[:end+1]
	t.buf = t.appendClear(t.buf[:0])
	err := t.flush()
	if err == nil {
		if _, werr := s.w.Write(lines); werr != nil {
			err = fmt.Errorf("write status: %w", werr)
		}
	}
	// Redraw even after a failed write: the live area was erased.
	t.buf = t.appendLive(t.buf[:0])
	if ferr := t.flush(); err == nil {
		err = ferr
	}
	// The lines are dropped on error too, so a retry does not repeat them.
	s.partial = append(s.partial[:0], s.partial[end+1:]...)
	if err != nil {
		return 0, err
	}
	return len(p), nil
}
