package transcript

import (
	"fmt"
	"io"

	"github.com/webcall-cli/webcall/pkg/event"
)

// Plain writes one line per final caption, "you: text" or "agent: text",
// and one per chat message, "you (chat): text" or "agent (chat): text",
// and nothing else: what scripts and pipes get, with no status row and no
// spinner. A correction is written again as a new line. Status is printed
// elsewhere (on stderr).
type Plain struct {
	w      io.Writer
	buf    []byte
	closed bool
}

var _ Renderer = (*Plain)(nil)

// NewPlain returns a Plain renderer writing to w.
func NewPlain(w io.Writer) *Plain { return &Plain{w: w} }

// Render writes e if it is a final caption or a chat message with text.
func (p *Plain) Render(e event.Event) error {
	if p.closed {
		return ErrClosed
	}
	name := label(e.Speaker)
	text, ok := finalText(e)
	if e.Type == event.Chat {
		name, text, ok = chatLabel(e.Speaker), oneLine(e.Text), true
	}
	if !ok || text == "" {
		return nil
	}
	p.buf = append(p.buf[:0], name...)
	p.buf = append(p.buf, ": "...)
	p.buf = append(p.buf, text...)
	p.buf = append(p.buf, '\n')
	if _, err := p.w.Write(p.buf); err != nil {
		return fmt.Errorf("write transcript: %w", err)
	}
	return nil
}

// Close stops the renderer. It is safe to call more than once.
func (p *Plain) Close() error {
	p.closed = true
	return nil
}
