package room

import (
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

func TestEventQueueKeepsOrderAndNeverBlocksPush(t *testing.T) {
	defer leaktest.Check(t)()
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
	closeWithin(t, q)
	if _, ok := <-q.out; ok {
		t.Fatal("out not closed after close")
	}
	closeWithin(t, q) // idempotent
}

// An SDK callback pushes while the pump runs and nobody reads (the call
// loop is busy): push still returns at once, and nothing is lost or
// reordered once the reader is back.
func TestEventQueuePushNeverBlocksACallback(t *testing.T) {
	defer leaktest.Check(t)()
	q := newEventQueue()
	q.start()
	defer closeWithin(t, q)
	const n = 10000
	pushed := make(chan struct{})
	go func() { // the SDK's goroutine
		defer close(pushed)
		for i := 0; i < n; i++ {
			q.push(Warning{Message: strconv.Itoa(i)})
		}
	}()
	select {
	case <-pushed:
	case <-time.After(5 * time.Second):
		t.Fatal("push blocked while nobody read the events")
	}
	for i := 0; i < n; i++ {
		if e := (<-q.out).(Warning); e.Message != strconv.Itoa(i) {
			t.Fatalf("event %d is %q", i, e.Message)
		}
	}
}

// Close ends the pump, even while it is waiting to hand over an event, and
// closes out; pushes after it (callbacks during the SDK's disconnect) are
// dropped without blocking.
func TestEventQueueCloseEndsThePump(t *testing.T) {
	defer leaktest.Check(t)()
	q := newEventQueue()
	q.start()
	q.push(Warning{Message: "nobody reads this"})
	closeWithin(t, q) // must not hang on the undelivered event
	if e, ok := <-q.out; ok {
		t.Fatalf("got %v after close: undelivered events are dropped and out closed", e)
	}
	q.push(Disconnected{Reason: "CLIENT_INITIATED"})
}

func TestEventQueueCloseBeforeStart(t *testing.T) {
	defer leaktest.Check(t)()
	q := newEventQueue()
	q.push(Warning{Message: "pushed during a join that failed"})
	closeWithin(t, q)
	if _, ok := <-q.out; ok {
		t.Fatal("out not closed")
	}
}

// closeWithin closes q, failing the test if that hangs: the room's Close
// waits for it.
func closeWithin(t *testing.T, q *eventQueue) {
	t.Helper()
	closed := make(chan struct{})
	go func() {
		q.close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("closing the queue hung")
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
