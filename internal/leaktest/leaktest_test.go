package leaktest

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps what the check reports.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper()      {}
func (r *recorder) Failed() bool { return false }
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, format)
}

func TestReportsAGoroutineThatOutlivesTheTest(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	r := &recorder{TB: t}
	check := Check(r)
	go leakyWorker(stop)
	start := time.Now()
	check()
	if len(r.errors) != 1 {
		t.Fatalf("leak not reported: %v", r.errors)
	}
	if waited := time.Since(start); waited < Settle {
		t.Errorf("reported after %s, before waiting the %s a goroutine gets to end", waited, Settle)
	}
}

func leakyWorker(stop chan struct{}) { <-stop }

func TestAGoroutineThatEndsInTimeIsNoLeak(t *testing.T) {
	r := &recorder{TB: t}
	check := Check(r)
	done := make(chan struct{})
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(done)
	}()
	check()
	<-done
	if len(r.errors) != 0 {
		t.Fatalf("a goroutine that ended was reported: %v", r.errors)
	}
}

func TestIgnoreLeavesOutNamedGoroutines(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	r := &recorder{TB: t}
	check := Check(r, Ignore("leaktest.leakyWorker"))
	go leakyWorker(stop)
	check()
	if len(r.errors) != 0 {
		t.Fatalf("an ignored goroutine was reported: %v", r.errors)
	}
}

func TestGoroutinesRunningBeforeTheCheckAreNotCounted(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	go leakyWorker(stop)
	time.Sleep(10 * time.Millisecond)
	r := &recorder{TB: t}
	Check(r)()
	if len(r.errors) != 0 {
		t.Fatalf("a goroutine from before the check was reported: %v", r.errors)
	}
}

func TestTheReportHoldsTheStack(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	c := &checker{before: map[string]bool{}}
	for _, g := range goroutines() {
		c.before[g.id] = true
	}
	go leakyWorker(stop)
	time.Sleep(10 * time.Millisecond)
	left := c.leftover()
	if len(left) != 1 || !strings.Contains(left[0].stack, "leakyWorker") {
		t.Fatalf("leftover = %v", left)
	}
}

// Two checks whose lives overlap, as in parallel tests: each is told only
// of the goroutines started under it, so the one whose goroutine outlives
// it is reported and the other is not blamed for it.
func TestOverlappingChecksBlameOnlyTheirOwn(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	leaky, clean := &recorder{TB: t}, &recorder{TB: t}

	cleanStarted, leakStarted := make(chan func()), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the clean "test": checks while the leaky one's goroutine runs
		defer wg.Done()
		check := Check(clean)
		worker := make(chan struct{})
		go func() { <-worker }()
		cleanStarted <- func() { close(worker) }
		<-leakStarted
		check()
	}()
	endWorker := <-cleanStarted
	go func() { // the leaky "test"
		defer wg.Done()
		check := Check(leaky)
		go leakyWorker(stop)
		close(leakStarted)
		endWorker()
		check()
	}()
	wg.Wait()
	if len(leaky.errors) != 1 {
		t.Errorf("the leak was not reported to the check it happened under: %v", leaky.errors)
	}
	if len(clean.errors) != 0 {
		t.Errorf("a check was blamed for another's goroutine: %v", clean.errors)
	}
}
