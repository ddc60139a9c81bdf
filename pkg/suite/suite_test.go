package suite

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/report"
	"github.com/webcall-cli/webcall/pkg/scenario"
)

// The work of a run is numbered the same whatever the shard, and the
// shards together are the whole of it, once.
func TestWorkAndShards(t *testing.T) {
	scs := []*scenario.Scenario{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	all := work(scs, 3)
	if len(all) != 9 || all[4].sc.Name != "b" || all[4].repeat != 1 || all[4].index != 4 {
		t.Fatalf("work %+v", all)
	}
	for count := 1; count <= 10; count++ {
		var seen []int
		for k := 1; k <= count; k++ {
			lo, hi := scenario.Shard(len(all), k, count)
			for _, it := range all[lo:hi] {
				seen = append(seen, it.index)
			}
		}
		if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(seen, want) {
			t.Errorf("%d shards hold %v", count, seen)
		}
	}
}

// A call's result becomes the report's call: figures relative to the
// right moments, every expectation judged, turns never reached skipped
// and the call failed for them.
func TestFillCall(t *testing.T) {
	sc := &scenario.Scenario{
		Name: "booking",
		Turns: []scenario.Turn{
			{Index: 0, Name: "ask", Say: "/x/hello.wav", Expect: scenario.Expect{MaxLatency: time.Second}},
			{Index: 1, Name: "never", Chat: "hi"},
		},
	}
	res := call.Result{
		Connected:   200 * time.Millisecond,
		AgentJoined: 700 * time.Millisecond,
		Reason:      call.ReasonMaxDuration,
		Pacing:      call.Pacing{Frames: 100, LateP99: 3 * time.Millisecond},
		Turns: []call.TurnResult{{
			Index: 0, Kind: call.TurnSay, Start: time.Second, SpeechEnd: 3 * time.Second, Voiced: true,
			Replied: true, ReplyStart: 3900 * time.Millisecond, ReplyEnd: 6 * time.Second, Reply: "Sure.",
			HasThinking: true, Thinking: 3600 * time.Millisecond,
		}},
	}
	rc := fillCall(report.Call{}, sc, res, true)
	if *rc.ConnectMS != 200 || *rc.AgentJoinMS != 500 || rc.Pacing.LateP99US != 3000 {
		t.Errorf("call figures: connect %d, agent join %d, pacing %+v", *rc.ConnectMS, *rc.AgentJoinMS, rc.Pacing)
	}
	first, second := rc.Turns[0], rc.Turns[1]
	if first.Said != "hello.wav" || *first.Latency.AudioMS != 900 || *first.Latency.ThinkingMS != 600 || first.Verdict != report.Pass {
		t.Errorf("first turn: %+v, latency %s", first, fmtLatency(first.Latency))
	}
	if second.Verdict != report.Skipped || rc.Verdict != report.Fail {
		t.Errorf("an unreached turn: %s, call %s; want skipped and a failed call", second.Verdict, rc.Verdict)
	}
	deadline := false
	for _, c := range rc.Checks {
		if c.Name == "deadline" && !c.Passed {
			deadline = true
		}
	}
	if !deadline {
		t.Errorf("no failed deadline check: %+v", rc.Checks)
	}

	// The agent too slow: the turn fails, with the figure.
	res.Turns[0].ReplyStart = 4500 * time.Millisecond
	res.Reason = call.ReasonReplyOver
	res.Turns = append(res.Turns, call.TurnResult{Index: 1, Kind: call.TurnChat, Start: 7 * time.Second, SpeechEnd: 7 * time.Second, Heard: "hi", Replied: true, ReplyStart: 8 * time.Second, ReplyEnd: 9 * time.Second, Reply: "Hello."})
	rc = fillCall(report.Call{}, sc, res, true)
	if rc.Turns[0].Verdict != report.Fail || rc.Turns[1].Verdict != report.Pass || rc.Verdict != report.Fail {
		t.Errorf("verdicts %s %s, call %s", rc.Turns[0].Verdict, rc.Turns[1].Verdict, rc.Verdict)
	}

	// A call that could not run judges nothing.
	rc = fillCall(report.Call{Verdict: report.Error}, sc, res, false)
	if rc.Verdict != report.Error || len(rc.Checks) != 0 || rc.Turns[0].Verdict != report.Error {
		t.Errorf("errored call: %s, checks %+v, turn %s", rc.Verdict, rc.Checks, rc.Turns[0].Verdict)
	}
}

func fmtLatency(l report.Latency) string {
	v := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("audio %s thinking %s", v(l.AudioMS), v(l.ThinkingMS))
}
