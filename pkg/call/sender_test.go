package call

import (
	"errors"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// Hanging up ends the sender, then closes the input, before Run returns:
// the caller may close the devices as soon as it has.
func TestHangUpEndsTheSenderBeforeRunReturns(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	mic := h.mic()
	h.start(Options{Input: mic}, fakeCreds{})
	h.agentJoins("listening")
	h.stepFor(200 * time.Millisecond)

	h.cancel()
	h.wait()
	if failure.KindOf(h.err) != failure.Interrupted || h.res.Reason != ReasonHangup {
		t.Fatalf("Run: %q, %v; want %q and an Interrupted failure", h.res.Reason, h.err, ReasonHangup)
	}
	checkSenderEnded(t, h, mic)
}

// A microphone that fails ends the call with its error, and the sender
// and the input are done with just the same.
func TestFailingInputEndsTheCall(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	mic := h.mic()
	mic.failAt, mic.failErr = 10, errors.New("the microphone was unplugged")
	h.start(Options{Input: mic}, fakeCreds{})
	h.agentJoins("listening")
	ended := h.runToEnd(time.Minute)

	if !errors.Is(h.err, mic.failErr) {
		t.Fatalf("Run returned %v, want the input's error", h.err)
	}
	// The tenth read follows the ninth frame, due 160 ms in, at once; the
	// loop notices at once too.
	if ended != 160*time.Millisecond {
		t.Errorf("ended after %v, want 160ms", ended)
	}
	if e := h.eventsAfter(event.Stats); len(e) != 1 || e[0].Reason != mic.failErr.Error() {
		t.Errorf("after stats: %+v, want one disconnected event saying %q", e, mic.failErr)
	}
	checkSenderEnded(t, h, mic)
}

// checkSenderEnded checks what must hold once Run has returned: the input
// was closed once, with no read under way or after it, and nothing is
// sent any more.
func checkSenderEnded(t *testing.T, h *harness, mic *fakeMic) {
	t.Helper()
	if n := mic.closes.Load(); n != 1 {
		t.Errorf("input closed %d times before Run returned, want once", n)
	}
	if mic.reading.Load() != 0 {
		t.Error("the sender was still reading the input when Run returned")
	}
	reads, frames := mic.reads.Load(), h.room.frameCount()
	// Anything still running would read or send on its next frame.
	h.clk.Advance(time.Second)
	if mic.reads.Load() != reads || h.room.frameCount() != frames {
		t.Error("the sender went on after Run returned")
	}
	if m := h.misused(mic); m != "" {
		t.Error(m)
	}
}
