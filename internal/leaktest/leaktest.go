// Package leaktest checks that a test leaves no goroutine behind, the way
// pion's test.CheckRoutines does: every goroutine webcall starts has an
// owner and ends with it, and this is how the tests hold the code to that.
//
//	defer leaktest.Check(t)()
//
// A test whose helpers stop what they started in t.Cleanup (a server, an
// agent, a sound daemon) registers the check as its first cleanup
// instead, so that it runs last, after theirs:
//
//	t.Cleanup(leaktest.Check(t))
//
// Check notes the goroutines that exist when it is called; the function it
// returns waits (up to Settle) for every goroutine started since to end,
// and fails the test with the stacks of those that did not. Goroutines
// that legitimately outlive a test (the shared test agent, a process-wide
// signal loop) are left out by Ignore.
package leaktest

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Settle is how long the check waits for goroutines to end: closing a
// WebRTC peer or a PortAudio stream ends its goroutines shortly after
// Close returns, not before.
const Settle = 5 * time.Second

// alwaysIgnored are goroutines of the runtime and the standard library
// that are started once per process, on first use, and never end.
var alwaysIgnored = []string{
	"os/signal.loop",
	"os/signal.signal_recv",
	"runtime.ensureSigM",
	"testing.(*M).",
	"testing.runTests",
	"testing.(*T).Run(",
	"testing.tRunner.func1()",
	"runtime.goexit0",
}

// Option changes what a check leaves out.
type Option func(*checker)

// Ignore leaves out goroutines whose stack contains any of the given
// substrings (a package path or a function name).
func Ignore(substrings ...string) Option {
	return func(c *checker) { c.ignore = append(c.ignore, substrings...) }
}

type checker struct {
	before map[string]bool
	ignore []string
}

// Check records the goroutines running now and returns the function that
// fails t if goroutines started since are still running after Settle.
func Check(t testing.TB, opts ...Option) func() {
	t.Helper()
	c := &checker{before: map[string]bool{}}
	for _, o := range opts {
		o(c)
	}
	for _, g := range goroutines() {
		c.before[g.id] = true
	}
	return func() {
		t.Helper()
		if t.Failed() {
			// A failed test often leaves its helpers running; the
			// leak report would bury the real failure.
			return
		}
		var left []goroutine
		deadline := time.Now().Add(Settle)
		for {
			left = c.leftover()
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(left) == 0 {
			return
		}
		var b strings.Builder
		for _, g := range left {
			b.WriteString("\n\n")
			b.WriteString(g.stack)
		}
		t.Errorf("%d goroutine(s) still running %s after the test:%s", len(left), Settle, b.String())
	}
}

// leftover returns the goroutines started since Check that are not
// ignored.
func (c *checker) leftover() []goroutine {
	var left []goroutine
	for _, g := range goroutines() {
		if c.before[g.id] || ignored(g.stack, alwaysIgnored) || ignored(g.stack, c.ignore) {
			continue
		}
		left = append(left, g)
	}
	return left
}

func ignored(stack string, subs []string) bool {
	for _, s := range subs {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}

type goroutine struct {
	id    string // "goroutine 17"
	stack string
}

// goroutines returns every goroutine but the caller's, from
// runtime.Stack's text.
func goroutines() []goroutine {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []goroutine
	for i, block := range bytes.Split(buf, []byte("\n\n")) {
		if i == 0 {
			continue // the caller: runtime.Stack lists it first
		}
		s := string(block)
		id, _, _ := strings.Cut(s, " [")
		gs = append(gs, goroutine{id: id, stack: s})
	}
	return gs
}
