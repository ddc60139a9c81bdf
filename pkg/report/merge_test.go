package report

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// shards splits the mixed report's calls into count shards by index, the
// way the runner deals them out.
func shards(count int) []*Report {
	whole := mixedReport()
	var out []*Report
	for k := 1; k <= count; k++ {
		r := baseReport()
		r.Shard = &Shard{Index: k, Count: count}
		r.StartedAt = whole.StartedAt.Add(time.Duration(k) * time.Second)
		r.DurationMS = int64(1000 * k)
		r.Machines[0].Hostname = "ci-" + string(rune('0'+k))
		for _, c := range whole.Calls {
			if c.Index%count == k-1 {
				r.Calls = append(r.Calls, c)
			}
		}
		out = append(out, r)
	}
	return out
}

func TestMergeShards(t *testing.T) {
	in := shards(3)
	// Given out of order, as a shell glob over artifact names may.
	got, err := Merge(in[2], in[0], in[1])
	if err != nil {
		t.Fatal(err)
	}
	if got.Shard != nil {
		t.Errorf("Shard = %+v, want nil", got.Shard)
	}
	var idx []int
	for _, c := range got.Calls {
		idx = append(idx, c.Index)
	}
	if !reflect.DeepEqual(idx, []int{0, 1, 2}) {
		t.Errorf("call order = %v", idx)
	}
	var hosts []string
	for _, m := range got.Machines {
		hosts = append(hosts, m.Hostname+"@"+shardName(m.Shard))
	}
	if want := []string{"ci-1@1/3", "ci-2@2/3", "ci-3@3/3"}; !reflect.DeepEqual(hosts, want) {
		t.Errorf("machines = %v, want %v", hosts, want)
	}
	if want := in[0].StartedAt; !got.StartedAt.Equal(want) {
		t.Errorf("StartedAt = %v, want the earliest %v", got.StartedAt, want)
	}
	if got.DurationMS != 3000 {
		t.Errorf("DurationMS = %d, want the longest 3000", got.DurationMS)
	}
	whole := mixedReport()
	if want := whole.Summarize(); !reflect.DeepEqual(got.Summary, want) {
		t.Errorf("summary = %+v\nwant the whole run's %+v", got.Summary, want)
	}
	if in[0].Machines[0].Shard != nil {
		t.Error("Merge changed an input's machine")
	}
}

func TestMergePercentilesComeFromTheCalls(t *testing.T) {
	// Shard 1/2 holds turns of 820 and 640 ms (p50 640), shard 2/2 of
	// 2430 and 700 (p50 700): averaging would say 670, the first shard
	// 640; the p50 of the four turns is 700.
	got, err := Merge(shards(2)...)
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Summary.Latencies.AudioMS; a == nil || a.P50 != 700 || a.Count != 4 {
		t.Errorf("audio = %+v, want p50 700 over 4 turns", a)
	}
}

func TestMergeSingleUnshardedIsACopy(t *testing.T) {
	in := mixedReport()
	got, err := Merge(in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("Merge of one report changed it")
	}
	got.Calls[0].Turns[0].Reply = "changed"
	if in.Calls[0].Turns[0].Reply == "changed" {
		t.Error("Merge of one report shares its turns")
	}
}

func TestMergeRefuses(t *testing.T) {
	three := shards(3)
	other := shards(2)
	dupCall := shards(2)
	dupCall[1].Calls = append(dupCall[1].Calls, dupCall[0].Calls[0])
	otherSuite := shards(2)
	otherSuite[1].Suite = []string{"other/"}
	otherRepeat := shards(2)
	otherRepeat[1].Repeat = 3
	otherConc := shards(2)
	otherConc[1].Concurrency = 8
	zero := shards(1)
	zero[0].Shard = &Shard{Index: 0, Count: 0}
	tests := []struct {
		name string
		in   []*Report
		want string
	}{
		{"none", nil, "no reports to merge"},
		{"missing", []*Report{three[0], three[2]}, "shard 2/3 is missing"},
		{"two missing", []*Report{three[1]}, "shards 1/3, 3/3 are missing"},
		{"duplicate", []*Report{three[0], three[1], three[1], three[2]}, "shard 2/3 is given more than once"},
		{"counts differ", []*Report{three[0], other[1]}, "shard 1/3 and shard 2/2 split the run differently"},
		{"out of range", []*Report{{Shard: &Shard{Index: 4, Count: 3}}}, "shard 4/3 is out of range"},
		{"no count", zero, "shard 0/0 has no valid count"},
		{"unsharded with others", []*Report{mixedReport(), three[0]}, "an unsharded report cannot be merged"},
		{"two unsharded", []*Report{mixedReport(), mixedReport()}, "an unsharded report cannot be merged"},
		{"duplicate call", dupCall, "call 0 (order) is in shard 1/2 and in shard 2/2"},
		{"suite", otherSuite, "different runs: suite [scenarios/] and [other/]"},
		{"repeat", otherRepeat, "different runs: repeat 1 and 3"},
		{"concurrency", otherConc, "different runs: concurrency 2 and 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Merge(tt.in...)
			if err == nil {
				t.Fatalf("Merge succeeded with %d calls", len(got.Calls))
			}
			if failure.KindOf(err) != failure.Input || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want an input failure saying %q", err, tt.want)
			}
		})
	}
}
