package main

import (
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/report"
)

func TestParseShardFlag(t *testing.T) {
	env := func(idx string) func(string) string {
		return func(k string) string {
			if k == "JOB_COMPLETION_INDEX" {
				return idx
			}
			return ""
		}
	}
	for _, tc := range []struct {
		flag, index string
		want        *report.Shard
		err         string
	}{
		{"", "", nil, ""},
		{"2/3", "", &report.Shard{Index: 2, Count: 3}, ""},
		{"3", "0", &report.Shard{Index: 1, Count: 3}, ""}, // Kubernetes counts pods from 0
		{"3", "2", &report.Shard{Index: 3, Count: 3}, ""},
		{"3", "", nil, "needs JOB_COMPLETION_INDEX"},
		{"3", "3", nil, "--shard"}, // the index is beyond the shards
		{"4/3", "", nil, "--shard"},
		{"x", "", nil, "not K/N"},
	} {
		got, err := parseShardFlag(tc.flag, env(tc.index))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || failure.KindOf(err) != failure.Usage {
				t.Errorf("--shard %q (index %q): %v, want a usage error with %q", tc.flag, tc.index, err, tc.err)
			}
			continue
		}
		if err != nil || (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("--shard %q (index %q) = %+v, %v; want %+v", tc.flag, tc.index, got, err, tc.want)
		}
	}
}

// A failed expectation is exit 9 even when another call could not run; a
// run with only errors exits as its first errored call would have.
func TestVerdictExitCodes(t *testing.T) {
	failed := report.Call{Index: 0, Verdict: report.Fail, Turns: []report.Turn{{Verdict: report.Fail, Checks: []report.Check{{Name: "contains"}}}}}
	errored := report.Call{Index: 1, Verdict: report.Error, Error: &report.Failure{Kind: failure.NoAgent.String(), Code: exitNoAgent, Message: "no agent joined"}}
	passed := report.Call{Index: 2, Verdict: report.Pass, Turns: []report.Turn{{Verdict: report.Pass}}}
	for _, tc := range []struct {
		calls []report.Call
		want  int
	}{
		{[]report.Call{passed}, exitOK},
		{[]report.Call{failed, errored, passed}, exitCheck},
		{[]report.Call{errored, passed}, exitNoAgent},
	} {
		if got := exitCode(verdictError(&report.Report{Calls: tc.calls})); got != tc.want {
			t.Errorf("calls %v: exit %d, want %d", tc.calls, got, tc.want)
		}
	}
}
