//go:build linux || darwin

package main

import (
	"os"
	"testing"
	"time"
)

// keyPresses collects what a key reader hands over.
type keyPresses chan string

func (k keyPresses) onKeys(b []byte) { k <- string(b) }

func (k keyPresses) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-k:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the key reader handed nothing over")
		return ""
	}
}

// The key reader hands over each read as it comes, and stop ends its
// goroutine even though nothing more is coming (a read on a terminal would
// block forever).
func TestKeyReaderStop(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	keys := make(keyPresses, 8)
	kr, err := startKeyReader(int(r.Fd()), keys.onKeys)
	if err != nil {
		t.Fatal(err)
	}
	for _, press := range []string{"m", "x", "m"} {
		if _, err := w.WriteString(press); err != nil {
			t.Fatal(err)
		}
		if got := keys.next(t); got != press {
			t.Errorf("read %q, want %q", got, press)
		}
	}
	kr.stop() // returns once the goroutine has ended
	kr.stop()
	select {
	case <-kr.done:
	default:
		t.Fatal("stop returned before the goroutine ended")
	}
	if _, err := w.WriteString("m"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-keys:
		t.Errorf("read %q after stop", got)
	default: // nothing can come: the reader has ended
	}
}

// The goroutine also ends by itself when its input does (the terminal
// hung up); stop still works afterwards.
func TestKeyReaderEndOfInput(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	keys := make(keyPresses, 8)
	kr, err := startKeyReader(int(r.Fd()), keys.onKeys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString("m"); err != nil {
		t.Fatal(err)
	}
	if got := keys.next(t); got != "m" {
		t.Errorf("read %q, want m", got)
	}
	w.Close()
	select {
	case <-kr.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the key reader still runs after its input ended")
	}
	kr.stop()
}
