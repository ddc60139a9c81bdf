package transcript

import (
	"bytes"
	"fmt"
	"io"
)

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
