//go:build linux || darwin

package main

import (
	"os"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

// Lines from a pipe on stdin come as they are written, and stop ends the
// reader while the pipe is still open and silent (a read would block for
// ever); the channel is closed either way.
func TestChatLinesFromAPipe(t *testing.T) {
	defer leaktest.Check(t)()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	chat := make(chan string)
	stop := startChatLines(r, chat)
	if _, err := w.WriteString("first\nsec"); err != nil {
		t.Fatal(err)
	}
	select {
	case line := <-chat:
		if line != "first" {
			t.Errorf("line %q, want first", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no line from the pipe")
	}
	stop()
	stop()
	if _, ok := <-chat; ok {
		t.Error("a line after stop, or the channel left open")
	}
}
