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
// the end of the process's output is logged and its log file kept;
// otherwise the log file is removed.
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
		if !t.Failed() {
			if err := p.Close(); err != nil {
				t.Error(err)
			}
			return
		}
		if tail := strings.TrimSpace(p.Tail(failedTailBytes)); tail != "" {
			t.Logf("%s's last output:\n%s\n(its whole log: %s)", p.spec.Name, tail, p.logPath)
		}
	})
	return p
}
