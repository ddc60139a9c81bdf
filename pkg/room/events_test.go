package room

import (
	"testing"
	"unicode/utf8"
)

func TestEventQueueKeepsOrderAndNeverBlocksPush(t *testing.T) {
	q := newEventQueue()
	// Pushed before start, as during a join, and far more than any channel
	// buffer would hold: push must not block.
	const n = 10000
	for i := 0; i < n; i++ {
		q.push(StreamChunk{StreamID: "s", Text: string(rune('a' + i%26))})
	}
	q.start()
	for i := 0; i < n; i++ {
		e := (<-q.out).(StreamChunk)
		if want := string(rune('a' + i%26)); e.Text != want {
			t.Fatalf("event %d: got %q, want %q", i, e.Text, want)
		}
	}
	q.close()
	if _, ok := <-q.out; ok {
		t.Fatal("out not closed after close")
	}
	q.close() // idempotent
}

func TestEventQueueCloseWithoutReader(t *testing.T) {
	q := newEventQueue()
	q.start()
	q.push(Warning{Message: "nobody reads this"})
	q.close() // must not hang on the undelivered event
}

func TestEventQueueCloseBeforeStart(t *testing.T) {
	q := newEventQueue()
	q.close()
	if _, ok := <-q.out; ok {
		t.Fatal("out not closed")
	}
}

func TestCompleteUTF8(t *testing.T) {
	s := []byte("héllo wörld 日本 😀")
	// Every split point must leave whole characters on the left and
	// carry the rest over, so joining the pieces restores the text.
	for cut := 0; cut <= len(s); cut++ {
		head := s[:cut]
		n := completeUTF8(head)
		if !utf8.Valid(head[:n]) {
			t.Fatalf("cut %d: head %q not valid", cut, head[:n])
		}
		if cut-n > 3 {
			t.Fatalf("cut %d: held back %d bytes", cut, cut-n)
		}
		rest := append(append([]byte{}, head[n:]...), s[cut:]...)
		if string(head[:n])+string(rest) != string(s) {
			t.Fatalf("cut %d: pieces do not join back", cut)
		}
	}
}
