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
//
// Tests that run in parallel (t.Parallel) start goroutines at the same
// time, so "started since Check" would blame one test for another's. Check
// therefore also labels the calling goroutine (runtime/pprof labels, which
// every goroutine it starts inherits, and theirs in turn). While a check's
// life overlaps another's, it counts only the goroutines that carry its own
// label. The cost: a goroutine started outside the test's tree (by a timer's
// AfterFunc, say) escapes an overlapping check; serial tests, and every
// check that ran alone, are held to the whole rule.
package leaktest

import (
	"bufio"
	"bytes"
	"context"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	label  string
	// overlapped: another check was live at some moment of this one's
	// life, so goroutines are told apart by label.
	overlapped atomic.Bool
}

// labelKey is the pprof label that ties goroutines to their check.
const labelKey = "webcall-leaktest"

var (
	liveMu sync.Mutex
	live   = map[*checker]bool{}
	serial atomic.Int64
)

// enter registers c among the live checks, marking every check whose life
// now overlaps another's.
func enter(c *checker) {
	liveMu.Lock()
	defer liveMu.Unlock()
	if len(live) > 0 {
		c.overlapped.Store(true)
		for o := range live {
			o.overlapped.Store(true)
		}
	}
	live[c] = true
}

func leave(c *checker) {
	liveMu.Lock()
	defer liveMu.Unlock()
	delete(live, c)
}

// Check records the goroutines running now and returns the function that
// fails t if goroutines started since are still running after Settle.
func Check(t testing.TB, opts ...Option) func() {
	t.Helper()
	c := &checker{before: map[string]bool{}, label: strconv.FormatInt(serial.Add(1), 10)}
	for _, o := range opts {
		o(c)
	}
	for _, g := range goroutines() {
		c.before[g.id] = true
	}
	// The caller's goroutine carries the label from here on, and so does
	// every goroutine it starts, directly or not.
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels(labelKey, c.label)))
	enter(c)
	return func() {
		t.Helper()
		defer leave(c)
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
// ignored: all of them when the check ran alone, those with its label when
// it overlapped another.
func (c *checker) leftover() []goroutine {
	if c.overlapped.Load() {
		return c.labelled()
	}
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

// labelled returns the goroutines that carry c's label and are not
// ignored, but the caller's, from the goroutine profile's text (the one
// form of the stacks that shows labels). Goroutines with the same stack
// and labels come as one record with a count.
func (c *checker) labelled() []goroutine {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return nil
	}
	want := `"` + labelKey + `":"` + c.label + `"`
	var left []goroutine
	for i, rec := range strings.Split(buf.String(), "\n\n") {
		if i == 0 {
			// The header line shares the first record.
			_, rec, _ = strings.Cut(rec, "\n")
		}
		if !strings.Contains(rec, want) || strings.Contains(rec, "runtime/pprof.writeGoroutine") {
			continue
		}
		if ignored(rec, alwaysIgnored) || ignored(rec, c.ignore) {
			continue
		}
		count := 1
		sc := bufio.NewScanner(strings.NewReader(rec))
		if sc.Scan() {
			n, _, _ := strings.Cut(sc.Text(), " @")
			if v, err := strconv.Atoi(n); err == nil {
				count = v
			}
		}
		for range count {
			left = append(left, goroutine{id: "labelled", stack: rec})
		}
	}
	return left
}
