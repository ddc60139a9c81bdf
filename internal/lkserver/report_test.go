package lkserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A failing test prints only the server's last few warnings, shortened,
// so that its own failure message stays near the end of CI's output, and
// where the whole log is.
func TestFailureReport(t *testing.T) {
	var log strings.Builder
	for i := range 20 {
		fmt.Fprintf(&log, "2026-11-22T05:20:48.631Z\tINFO\tlivekit\troutine line %d\n", i)
		fmt.Fprintf(&log, "2026-11-22T05:20:48.631Z\tWARN\tlivekit\twarning %d %s\n", i, strings.Repeat("x", 400))
	}
	path := filepath.Join(t.TempDir(), "livekit-server-1.log")
	if err := os.WriteFile(path, []byte(log.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	report := failureReport(path)

	lines := strings.Split(report, "\n")
	if got := len(lines); got != reportLines+2 {
		t.Fatalf("report has %d lines, want %d warnings between a heading and the file name:\n%s", got, reportLines, report)
	}
	if !strings.Contains(lines[1], "warning 12 ") || !strings.Contains(lines[reportLines], "warning 19 ") {
		t.Errorf("report does not hold the last %d warnings:\n%s", reportLines, report)
	}
	if strings.Contains(report, "routine line") {
		t.Errorf("report holds routine lines:\n%s", report)
	}
	for _, l := range lines[1 : reportLines+1] {
		if len(l) > reportWidth+10 {
			t.Errorf("line of %d bytes not shortened", len(l))
		}
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "): "+filepath.ToSlash(path)) {
		t.Errorf("last line does not name the log: %q", last)
	}
}
