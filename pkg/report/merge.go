package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// Merge combines the shards of one run into the report of the whole run.
// The shards must agree on what was run (Suite, Concurrency, Repeat and
// the number of shards) and hold each shard exactly once, and no call may
// appear twice; anything else is an Input failure that names the shard,
// because merging reports of different runs would give figures of no run
// at all.
//
// The result holds the calls in Index order, every shard's machine
// (tagged with its shard), the earliest start and the longest duration,
// no Shard, and a Summary computed again from the calls. A single
// unsharded report comes back as an unchanged copy. The inputs are not
// changed.
func Merge(reports ...*Report) (*Report, error) {
	if len(reports) == 0 {
		return nil, mergeError("no reports to merge")
	}
	for i, r := range reports {
		if r == nil {
			return nil, failure.Newf(failure.Internal, "merge: report %d is nil", i+1)
		}
	}
	if len(reports) == 1 && reports[0].Shard == nil {
		return clone(reports[0])
	}
	first := reports[0]
	if err := checkShards(reports); err != nil {
		return nil, err
	}
	for _, r := range reports[1:] {
		if err := sameRun(first, r); err != nil {
			return nil, err
		}
	}

	// Shard order makes the machines' order, and so the output, the
	// same whatever order the files were given in.
	sorted := slices.Clone(reports)
	slices.SortFunc(sorted, func(a, b *Report) int { return a.Shard.Index - b.Shard.Index })

	out := &Report{
		Version:     Version,
		Tool:        mergedTool(sorted),
		Suite:       slices.Clone(first.Suite),
		StartedAt:   first.StartedAt,
		Concurrency: first.Concurrency,
		Repeat:      first.Repeat,
		Machines:    []Machine{},
		Calls:       []Call{},
	}
	seen := map[int]*Shard{}
	for _, r := range sorted {
		c, err := clone(r)
		if err != nil {
			return nil, err
		}
		if r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		out.DurationMS = max(out.DurationMS, r.DurationMS)
		for _, m := range c.Machines {
			if m.Shard == nil {
				s := *r.Shard
				m.Shard = &s
			}
			out.Machines = append(out.Machines, m)
		}
		for _, call := range c.Calls {
			if prev, dup := seen[call.Index]; dup {
				return nil, mergeError(fmt.Sprintf("call %d (%s) is in shard %s and in shard %s",
					call.Index, call.Scenario, shardName(prev), shardName(r.Shard)))
			}
			seen[call.Index] = r.Shard
			out.Calls = append(out.Calls, call)
		}
	}
	slices.SortStableFunc(out.Calls, func(a, b Call) int { return a.Index - b.Index })
	out.Summary = out.Summarize()
	return out, nil
}

// checkShards makes sure every report is a shard of the same count and
// each shard is there exactly once.
func checkShards(reports []*Report) error {
	var count int
	for _, r := range reports {
		if r.Shard == nil {
			return mergeError("an unsharded report cannot be merged with others: it already holds the whole run")
		}
		if count == 0 {
			count = r.Shard.Count
		}
		if r.Shard.Count != count {
			return mergeError(fmt.Sprintf("shard %s and shard %s split the run differently", shardName(reports[0].Shard), shardName(r.Shard)))
		}
	}
	if count < 1 {
		return mergeError(fmt.Sprintf("shard %s has no valid count", shardName(reports[0].Shard)))
	}
	have := make([]int, count+1)
	for _, r := range reports {
		i := r.Shard.Index
		if i < 1 || i > count {
			return mergeError(fmt.Sprintf("shard %s is out of range", shardName(r.Shard)))
		}
		have[i]++
		if have[i] == 2 {
			return mergeError(fmt.Sprintf("shard %s is given more than once", shardName(r.Shard)))
		}
	}
	var missing []string
	for i := 1; i <= count; i++ {
		if have[i] == 0 {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return mergeError(fmt.Sprintf("shard %s is missing", missing[0]))
	default:
		return mergeError(fmt.Sprintf("shards %s are missing", strings.Join(missing, ", ")))
	}
}

// sameRun makes sure b was asked for the same work as a.
func sameRun(a, b *Report) error {
	differ := func(what string, x, y any) error {
		return mergeError(fmt.Sprintf("shard %s and shard %s are of different runs: %s %v and %v",
			shardName(a.Shard), shardName(b.Shard), what, x, y))
	}
	switch {
	case !slices.Equal(a.Suite, b.Suite):
		return differ("suite", a.Suite, b.Suite)
	case a.Concurrency != b.Concurrency:
		return differ("concurrency", a.Concurrency, b.Concurrency)
	case a.Repeat != b.Repeat:
		return differ("repeat", a.Repeat, b.Repeat)
	}
	return nil
}

// mergedTool names the webcall that wrote the shards, every version once
// when CI machines ran different ones.
func mergedTool(reports []*Report) string {
	var tools []string
	for _, r := range reports {
		if r.Tool != "" && !slices.Contains(tools, r.Tool) {
			tools = append(tools, r.Tool)
		}
	}
	return strings.Join(tools, ", ")
}

func shardName(s *Shard) string {
	if s == nil {
		return "(none)"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

func mergeError(msg string) *failure.Error {
	return failure.New(failure.Input, "merge the reports: "+msg).
		WithHint("give the report of every shard of one run, each once")
}

// clone is a deep copy of r, through its JSON form: the form is complete
// by design (Read gives back what Write stored), so nothing is lost.
func clone(r *Report) (*Report, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, failure.Wrap(failure.Internal, err, "copy the report")
	}
	var out Report
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, failure.Wrap(failure.Internal, err, "copy the report")
	}
	return &out, nil
}
