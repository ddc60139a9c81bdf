package testagent_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/testagent"
)

// factLog collects what an agent states through Options.OnFact.
type factLog struct {
	mu      sync.Mutex
	all     []testagent.Fact
	changed chan struct{}
}

func newFactLog() *factLog { return &factLog{changed: make(chan struct{}, 1)} }

// add is the agent's OnFact: it must not block.
func (l *factLog) add(f testagent.Fact) {
	l.mu.Lock()
	l.all = append(l.all, f)
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// wait returns the facts once cond holds for them, failing the test after
// timeout.
func (l *factLog) wait(t *testing.T, timeout time.Duration, what string, cond func([]testagent.Fact) bool) []testagent.Fact {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		all := slices.Clone(l.all)
		l.mu.Unlock()
		if cond(all) {
			return all
		}
		select {
		case <-l.changed:
		case <-deadline.C:
			t.Fatalf("waited %s for %s; facts:\n%s", timeout, what, dumpFacts(all))
		}
	}
}

// ofKind are the facts of kind, in order.
func ofKind(all []testagent.Fact, kind string) []testagent.Fact {
	var out []testagent.Fact
	for _, f := range all {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func hasKind(kind string, n int) func([]testagent.Fact) bool {
	return func(all []testagent.Fact) bool { return len(ofKind(all, kind)) >= n }
}

func dumpFacts(all []testagent.Fact) string {
	var b []byte
	for _, f := range all {
		b = append(b, f.At.Format("15:04:05.000")...)
		b = append(b, ' ')
		b = append(b, f.Kind...)
		if !f.LastVoicedAt.IsZero() {
			b = append(b, " last_voiced="+f.LastVoicedAt.Format("15:04:05.000")...)
		}
		if f.Latency != 0 {
			b = append(b, " latency="+f.Latency.String()...)
		}
		if f.Interrupted {
			b = append(b, " interrupted"...)
		}
		b = append(b, " "+f.Text+"\n"...)
	}
	return string(b)
}
