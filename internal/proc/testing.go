package proc

import (
	"context"
	"strings"
	"testing"
)

// failedTailBytes bounds what a failed test prints of a process's output;
// the whole log stays in its file.
const failedTailBytes = 4 << 10

// Start starts a process for the test and stops it when the test ends. It
// fails the test when the process does not get ready. When the test fails,
// the end of the process's output is logged and its log file kept; an
// empty log, or the log of a passing test, is removed.
func Start(t testing.TB, spec Spec) *Process {
	t.Helper()
	p, err := StartProcess(context.Background(), spec)
	if err != nil {
		t.Fatalf("start %v", err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
		tail := strings.TrimSpace(p.Tail(failedTailBytes))
		if !t.Failed() || tail == "" {
			if err := p.Close(); err != nil {
				t.Error(err)
			}
			return
		}
		t.Logf("%s's last output:\n%s\n(its whole log: %s)", p.spec.Name, tail, p.logPath)
	})
	return p
}
