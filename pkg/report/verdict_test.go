package report

import (
	"testing"
)

func TestVerdictFailWinsOverError(t *testing.T) {
	tests := []struct {
		name  string
		calls []Call
		want  Verdict
	}{
		{"no calls", nil, Pass},
		{"all pass", []Call{passingCall(0, "a", "a.yaml")}, Pass},
		{"error only", []Call{passingCall(0, "a", "a.yaml"), erroredCall(1)}, Error},
		{"fail and error", []Call{erroredCall(0), failingCall(1)}, Fail},
		{"failed check under a pass verdict", func() []Call {
			c := passingCall(0, "a", "a.yaml")
			c.Turns[1].Checks = []Check{{Name: "contains", Passed: false}}
			return []Call{c}
		}(), Fail},
		{"failed call check", func() []Call {
			c := passingCall(0, "a", "a.yaml")
			c.Checks[0].Passed = false
			return []Call{c}
		}(), Fail},
		{"regressed then lost the connection", func() []Call {
			c := failingCall(0)
			c.Verdict = Error
			c.Error = &Failure{Kind: "connect", Code: 3, Message: "connection lost"}
			return []Call{c}
		}(), Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := baseReport(tt.calls...)
			if got := r.Verdict(); got != tt.want {
				t.Errorf("Verdict() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFirstErrorIsTheFirstErroredCall(t *testing.T) {
	second := erroredCall(2)
	second.Error = &Failure{Kind: "connect", Code: 3, Message: "server unreachable"}
	r := baseReport(passingCall(0, "a", "a.yaml"), erroredCall(1), second)
	got := r.FirstError()
	if got == nil || got.Code != 5 {
		t.Fatalf("FirstError() = %+v, want the no_agent failure (code 5)", got)
	}
	got.Code = 99
	if r.Calls[1].Error.Code != 5 {
		t.Error("FirstError returned the report's own Failure, not a copy")
	}
	if f := allPassReport().FirstError(); f != nil {
		t.Errorf("FirstError() of a passing report = %+v", f)
	}
	noReason := erroredCall(0)
	noReason.Error = nil
	if f := baseReport(noReason).FirstError(); f == nil || f.Code != 1 {
		t.Errorf("an error call without a reason gives %+v, want an internal failure", f)
	}
}

func TestTotals(t *testing.T) {
	got := mixedReport().Totals()
	want := Totals{
		Calls: 3, CallsPassed: 1, CallsFailed: 1, CallsErrored: 1,
		// greeting + 2 turns in each of the first two calls, 1 skipped turn.
		Turns: 7, TurnsPassed: 5, TurnsFailed: 1, TurnsSkipped: 1,
	}
	if got != want {
		t.Errorf("Totals() = %+v\nwant       %+v", got, want)
	}
}

func TestNearestRank(t *testing.T) {
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1)
	}
	tests := []struct {
		samples []int64
		want    Stat
	}{
		{[]int64{7}, Stat{Count: 1, P50: 7, P90: 7, P99: 7, Max: 7}},
		{[]int64{4, 1, 3, 2}, Stat{Count: 4, P50: 2, P90: 4, P99: 4, Max: 4}},
		{[]int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, Stat{Count: 10, P50: 50, P90: 90, P99: 100, Max: 100}},
		// Exact ranks: floating point would round 0.99*100 up to rank 100.
		{hundred, Stat{Count: 100, P50: 50, P90: 90, P99: 99, Max: 100}},
	}
	for _, tt := range tests {
		if got := stat(tt.samples); got == nil || *got != tt.want {
			t.Errorf("stat(%v) = %+v, want %+v", tt.samples, got, tt.want)
		}
	}
	if stat(nil) != nil {
		t.Error("stat(nil) is not nil")
	}
}

func TestLatenciesLeaveOutTheGreeting(t *testing.T) {
	a := mixedReport().Latencies()
	// Turns: 820, 640 (order); 2430, 700 (refund). Greetings (1200) are out.
	if want := (Stat{Count: 4, P50: 700, P90: 2430, P99: 2430, Max: 2430}); a.AudioMS == nil || *a.AudioMS != want {
		t.Errorf("audio = %+v, want %+v", a.AudioMS, want)
	}
	if want := (Stat{Count: 2, P50: 150, P90: 700, P99: 700, Max: 700}); a.LongestGapMS == nil || *a.LongestGapMS != want {
		t.Errorf("longest gap = %+v, want %+v", a.LongestGapMS, want)
	}
	if a.StopMS != nil {
		t.Errorf("stop = %+v, want nil: no barge-in was measured", a.StopMS)
	}
	if want := (Stat{Count: 3, P50: 310, P90: 310, P99: 310, Max: 310}); a.ConnectMS == nil || *a.ConnectMS != want {
		t.Errorf("connect = %+v, want %+v", a.ConnectMS, want)
	}
	if a.AgentJoinMS == nil || a.AgentJoinMS.Count != 2 {
		t.Errorf("agent join = %+v, want 2 samples (the errored call had no agent)", a.AgentJoinMS)
	}
	if a.PacingLateP99US != 900 || a.PacingLateMaxUS != 2100 {
		t.Errorf("pacing = %d/%d, want 900/2100 (the errored call sent nothing)", a.PacingLateP99US, a.PacingLateMaxUS)
	}
}

func TestPacingP99IsOverCalls(t *testing.T) {
	var calls []Call
	for i := range 10 {
		c := passingCall(i, "a", "a.yaml")
		c.Pacing.LateP99US = int64(100 * (i + 1))
		c.Pacing.LateMaxUS = int64(1000 * (i + 1))
		calls = append(calls, c)
	}
	a := baseReport(calls...).Latencies()
	if a.PacingLateP99US != 1000 || a.PacingLateMaxUS != 10000 {
		t.Errorf("pacing = %d/%d, want 1000/10000", a.PacingLateP99US, a.PacingLateMaxUS)
	}
}
