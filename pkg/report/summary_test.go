package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/internal/golden"
)

func overloadedReport() *Report {
	r := allPassReport()
	r.Machines[0].Overloaded = true
	r.Machines[0].Load1End = 7.9
	r.Machines[0].CPUPercent = 390
	r.Machines[0].Notes = []string{"pacing p99 7.3 ms > 5 ms", "CPUs saturated"}
	return r
}

func failReport() *Report {
	return baseReport(passingCall(0, "order", "scenarios/order.yaml"), failingCall(1))
}

func errorReport() *Report {
	return baseReport(passingCall(0, "order", "scenarios/order.yaml"), erroredCall(1))
}

func summary(t *testing.T, r *Report, o SummaryOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSummary(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestSummaryGolden(t *testing.T) {
	tests := []struct {
		name string
		r    *Report
		o    SummaryOptions
	}{
		{"pass", allPassReport(), SummaryOptions{}},
		{"fail_80", failReport(), SummaryOptions{Width: 80}},
		{"fail_40", failReport(), SummaryOptions{Width: 40}},
		{"error", errorReport(), SummaryOptions{Width: 80}},
		{"overloaded", overloadedReport(), SummaryOptions{Width: 80}},
		{"color", mixedReport(), SummaryOptions{Width: 100, Color: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden.Assert(t, "testdata/summary_"+tt.name+".txt", summary(t, tt.r, tt.o))
		})
	}
}

func TestSummaryFitsTheWidth(t *testing.T) {
	r := hostileReport()
	r.Calls[0].Turns[0].Reply = "長い返事です、とても長い返事です、本当に長い返事です、終わりません"
	r.Calls[0].Turns[1].Said = "e\u0301e\u0301e\u0301 combining marks and emoji 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"
	r.Machines[0].Overloaded = true
	r.Machines[0].Notes = []string{strings.Repeat("averyveryverylongnotewithoutspaces", 4)}
	for _, width := range []int{40, 41, 57, 80, 120} {
		for _, line := range strings.Split(summary(t, r, SummaryOptions{Width: width}), "\n") {
			if w := textWidth(line); w > width {
				t.Errorf("width %d: line of %d columns: %q", width, w, line)
			}
		}
	}
}

func TestSummaryHasNoEscapesWithoutColor(t *testing.T) {
	out := summary(t, hostileReport(), SummaryOptions{Width: 80})
	if strings.ContainsAny(out, "\x1b\x00\x7f") {
		t.Errorf("the summary holds control characters:\n%q", out)
	}
	if !strings.Contains(out, "\uFFFD[31mred") {
		t.Errorf("the reply's escape sequence was not defused:\n%s", out)
	}
	colored := summary(t, hostileReport(), SummaryOptions{Width: 80, Color: true})
	if !strings.Contains(colored, ansiRed+"FAIL"+ansiReset) || !strings.Contains(colored, ansiGreen+"PASS"+ansiReset) {
		t.Errorf("no colour with Color set:\n%q", colored)
	}
}

func TestFitIsRuneAware(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello!", 5, "hell…"},
		{"héllo wörld", 6, "héllo…"},
		{"日本語です", 5, "日本…"},
		{"日本語です", 4, "日…"},
		{"e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301e\u0301"},
		{"ab", 0, ""},
	}
	for _, tt := range tests {
		if got := fit(tt.in, tt.w); got != tt.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("one two three  fourfivesixseven", 9)
	want := []string{"one two", "three", "fourfives", "ixseven"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("wrap = %q, want %q", got, want)
	}
	if got := wrap("日本", 1); strings.Join(got, "|") != "日|本" {
		t.Errorf("wrap of runes wider than the line = %q", got)
	}
}
