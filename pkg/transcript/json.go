package transcript

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/webcall-cli/webcall/pkg/event"
)

// JSON writes every event as one line of JSON (JSON Lines), as
// encoding/json serializes event.Event; the README documents the schema.
// HTML characters are not escaped ("<" stays "<"), which is still valid
// JSON and keeps captions readable.
type JSON struct {
	w      io.Writer
	buf    bytes.Buffer
	enc    *json.Encoder
	closed bool
}

var _ Renderer = (*JSON)(nil)

// NewJSON returns a JSON Lines renderer writing to w.
func NewJSON(w io.Writer) *JSON {
	j := &JSON{w: w}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}

// Render writes e as one line, in a single Write so that lines stay whole
// even if w is shared.
func (j *JSON) Render(e event.Event) error {
	if j.closed {
		return ErrClosed
	}
	j.buf.Reset()
	e.V = event.SchemaVersion
	if err := j.enc.Encode(e); err != nil {
		return fmt.Errorf("encode %s event: %w", e.Type, err)
	}
	if _, err := j.w.Write(j.buf.Bytes()); err != nil {
		return fmt.Errorf("write %s event: %w", e.Type, err)
	}
	return nil
}

// Close stops the renderer. It is safe to call more than once.
func (j *JSON) Close() error {
	j.closed = true
	return nil
}
