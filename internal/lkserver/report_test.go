package lkserver

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// A failing test prints only the server's last few warnings, shortened,
// so that its own failure message stays near the end of CI's output; the
// whole log goes to a file.
func TestFailureReport(t *testing.T) {
	var log strings.Builder
	for i := range 20 {
		fmt.Fprintf(&log, "2026-11-22T05:20:48.631Z\tINFO\tlivekit\troutine line %d\n", i)
		fmt.Fprintf(&log, "2026-11-22T05:20:48.631Z\tWARN\tlivekit\twarning %d %s\n", i, strings.Repeat("x", 400))
	}
	report := failureReport("TestX/sub case", log.String())

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
	_, name, ok := strings.Cut(lines[len(lines)-1], "): ")
	if !ok || !strings.Contains(name, "TestX_sub_case") {
		t.Fatalf("last line does not name the saved log: %q", lines[len(lines)-1])
	}
	defer os.Remove(name)
	saved, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if string(saved) != log.String() {
		t.Errorf("saved log differs from the server's")
	}
}
