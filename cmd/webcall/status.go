package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// statusLine prints progress for people on stderr: what the call is doing
// and what it waits for, with the time since start. Results never go here.
type statusLine struct {
	w     io.Writer
	flush func() error
	tty   bool // decorate: stderr is a terminal that allows colour
	quiet bool
	start time.Time

	mu sync.Mutex
}

func newStatus(s *streams, quiet bool, renderer transcript.Renderer) *statusLine {
	st := &statusLine{w: s.ErrOut, flush: s.flushErr, tty: s.ErrTTY && s.Color, quiet: quiet, start: time.Now()}
	// When the transcript is drawn live on the same terminal, status lines
	// go above its live area instead of through it.
	if tty, ok := renderer.(*transcript.TTY); ok && s.ErrTTY {
		st.w = tty.StatusWriter(s.ErrOut)
	}
	return st
}

// print shows a progress message unless --quiet.
func (st *statusLine) print(msg string) {
	if st.quiet {
		return
	}
	st.write(msg)
}

// log shows a message even with --quiet: something went wrong.
func (st *statusLine) log(msg string) { st.write(msg) }

// warning is the one place a warning event (the call's, or a device's)
// is shown: as a status line, even with --quiet, and through show in the
// event stream. The terminal renderers draw no warning events, so a
// terminal shows each once; --format json carries it as well.
func (st *statusLine) warning(e event.Event, show func(event.Event)) {
	st.log("warning: " + e.Message)
	show(e)
}

func (st *statusLine) write(msg string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	elapsed := time.Since(st.start).Seconds()
	if st.tty {
		// Dim on a terminal so that the transcript stands out.
		fmt.Fprintf(st.w, "\x1b[2m%6.1fs  %s\x1b[0m\n", elapsed, msg)
	} else {
		fmt.Fprintf(st.w, "%6.1fs  %s\n", elapsed, msg)
	}
	_ = st.flush()
}
