package redact

import (
	"io"
	"sync"
)

// Writer masks registered secrets in everything written through it, even a
// secret split across two Write calls. It writes everything it can at once
// and holds back only a tail that could be the start of a secret (never
// more than the longest secret); Flush and Close write that tail out.
// Because no secret contains a line break, a line is always written in full
// by the Write that ends it.
//
// A Writer is safe for concurrent use; each Write is passed on whole.
type Writer struct {
	reg *Registry
	w   io.Writer

	mu      sync.Mutex
	pending []byte
	// prev is the input byte before pending: whether a short secret
	// starting the pending tail stands as a word of its own.
	prev byte
	buf  []byte
}

// NewWriter returns a Writer that masks the secrets of the Default registry.
func NewWriter(w io.Writer) *Writer { return Default.NewWriter(w) }

// NewWriter returns a Writer to w that masks r's secrets, including those
// registered after it was created.
func (r *Registry) NewWriter(w io.Writer) *Writer { return &Writer{reg: r, w: w} }

// Write masks p and writes what is certain to w. It reports len(p) on
// success: bytes held back are owned by the Writer and written later.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.write(p, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes out any held-back tail, masked. Call it when the stream
// pauses at a point where no secret can continue (for example before
// waiting for input).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.write(nil, true)
}

// Close flushes the held-back tail. It does not close the underlying
// writer (usually os.Stdout or os.Stderr). Calling it twice is harmless.
func (w *Writer) Close() error { return w.Flush() }

func (w *Writer) write(p []byte, final bool) error {
	src := p
	if len(w.pending) > 0 {
		src = append(w.pending, p...)
	}
	forms := w.reg.loadForms()
	var rest []byte
	if len(forms) == 0 {
		w.buf = append(w.buf[:0], src...)
	} else {
		w.buf, rest = scan(w.buf[:0], src, forms, w.prev, final)
	}
	if done := len(src) - len(rest); done > 0 {
		w.prev = src[done-1]
	}
	// rest aliases src (possibly w.pending itself): copy before reuse.
	w.pending = append(make([]byte, 0, len(rest)), rest...)
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	return err
}
