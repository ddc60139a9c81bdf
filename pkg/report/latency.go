package report

import "slices"

// Stat is the distribution of one figure, in the figure's unit.
//
// Percentiles use the nearest-rank method: the p-th percentile of n
// sorted samples is the sample of rank ceil(p/100 * n). It is always a
// value that was measured (no interpolation between two turns), and with
// few samples the p99 is simply the worst one, which is the honest answer
// for a CI run of a few dozen turns.
type Stat struct {
	Count int   `json:"count"`
	P50   int64 `json:"p50"`
	P90   int64 `json:"p90"`
	P99   int64 `json:"p99"`
	Max   int64 `json:"max"`
}

// Aggregates are the latency figures of a report over all turns of all
// calls; a figure nobody measured is nil. The greeting is left out of the
// turn figures: it answers no user speech, so its timing means something
// else. Connect and AgentJoin are per call.
type Aggregates struct {
	AudioMS      *Stat `json:"audio_ms,omitempty"`
	CaptionMS    *Stat `json:"caption_ms,omitempty"`
	ThinkingMS   *Stat `json:"thinking_ms,omitempty"`
	SpeakingMS   *Stat `json:"speaking_ms,omitempty"`
	StopMS       *Stat `json:"stop_ms,omitempty"`
	LongestGapMS *Stat `json:"longest_gap_ms,omitempty"`
	ConnectMS    *Stat `json:"connect_ms,omitempty"`
	AgentJoinMS  *Stat `json:"agent_join_ms,omitempty"`
	// PacingLateP99US is the p99 over calls of each call's own p99 send
	// lateness, and PacingLateMaxUS the worst frame of any call: how far
	// the machine, not the agent, is in the figures above. Calls that sent
	// no frames are left out.
	PacingLateP99US int64 `json:"pacing_late_p99_us"`
	PacingLateMaxUS int64 `json:"pacing_late_max_us"`
}

// Latencies computes the aggregates from the calls themselves, so that a
// merged report gets true percentiles rather than averages of each
// shard's.
func (r *Report) Latencies() Aggregates {
	var audio, caption, thinking, speaking, stop, gap, connect, join, pacing []int64
	var a Aggregates
	add := func(s []int64, v *int64) []int64 {
		if v == nil {
			return s
		}
		return append(s, *v)
	}
	for i := range r.Calls {
		c := &r.Calls[i]
		connect = add(connect, c.ConnectMS)
		join = add(join, c.AgentJoinMS)
		if c.Pacing.Frames > 0 {
			pacing = append(pacing, c.Pacing.LateP99US)
			a.PacingLateMaxUS = max(a.PacingLateMaxUS, c.Pacing.LateMaxUS)
		}
		for j := range c.Turns {
			l := &c.Turns[j].Latency
			audio = add(audio, l.AudioMS)
			caption = add(caption, l.CaptionMS)
			thinking = add(thinking, l.ThinkingMS)
			speaking = add(speaking, l.SpeakingMS)
			stop = add(stop, l.StopMS)
			gap = add(gap, l.LongestGapMS)
		}
	}
	a.AudioMS = stat(audio)
	a.CaptionMS = stat(caption)
	a.ThinkingMS = stat(thinking)
	a.SpeakingMS = stat(speaking)
	a.StopMS = stat(stop)
	a.LongestGapMS = stat(gap)
	a.ConnectMS = stat(connect)
	a.AgentJoinMS = stat(join)
	if p := stat(pacing); p != nil {
		a.PacingLateP99US = p.P99
	}
	return a
}

// stat sorts samples in place and summarises them; nil for none.
func stat(samples []int64) *Stat {
	if len(samples) == 0 {
		return nil
	}
	slices.Sort(samples)
	return &Stat{
		Count: len(samples),
		P50:   nearestRank(samples, 50),
		P90:   nearestRank(samples, 90),
		P99:   nearestRank(samples, 99),
		Max:   samples[len(samples)-1],
	}
}

// nearestRank is the p-th percentile of sorted, non-empty samples. The
// rank is computed in integers: in floating point 0.07*100 is not 7, and
// ceil would then pick the next sample.
func nearestRank(sorted []int64, p int) int64 {
	rank := (p*len(sorted) + 99) / 100
	return sorted[min(max(rank, 1), len(sorted))-1]
}
