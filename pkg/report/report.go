// Package report is the outcome of a run of scripted calls as plain data:
// what `webcall test` writes with --report, reads back to merge shards, and
// turns into a JUnit file, a summary table and CI annotations. It knows
// nothing of rooms or audio; the scenario runner fills it in.
//
// The JSON form is versioned (Version); fields are only ever added.
//
// One concern per file: verdict.go (what a report adds up to and why Fail
// wins over Error), latency.go (the percentiles), file.go (the JSON on
// disk), merge.go (shards), junit.go, summary.go and annotations.go (the
// three renderings), labels.go (the names all three give calls and
// turns). Everything derived (verdicts, totals, percentiles) is computed
// from the calls each time it is asked for, never stored and trusted, so
// a merged or edited report cannot disagree with its own calls.
package report

import "time"

// Version is the version of the JSON form this package writes.
const Version = 1

// Verdict is the outcome of a turn, a call or a whole report.
type Verdict string

const (
	// Pass: every expectation held.
	Pass Verdict = "pass"
	// Fail: the call ran and an expectation did not hold: the agent
	// regressed, or the expectation is wrong.
	Fail Verdict = "fail"
	// Error: the call could not be run or judged (no connection, no
	// agent, a bad file): says nothing about the agent's answers.
	Error Verdict = "error"
	// Skipped: never reached, because the call ended before this turn.
	Skipped Verdict = "skipped"
)

// Report is one run of `webcall test`, or several merged.
type Report struct {
	Version int    `json:"version"`
	Tool    string `json:"tool"` // "webcall <version>"
	// Suite names what was run: the scenario files, as given.
	Suite     []string  `json:"suite"`
	StartedAt time.Time `json:"started_at"`
	// DurationMS is the wall time of the run (for a merge, the longest
	// shard's).
	DurationMS int64 `json:"duration_ms"`
	// Shard is the part of the work this report holds; nil for all of it
	// and for a merged report.
	Shard *Shard `json:"shard,omitempty"`
	// Concurrency and Repeat are what the run was asked for.
	Concurrency int `json:"concurrency"`
	Repeat      int `json:"repeat"`
	// Machines are the machines that ran the calls: one, or one per shard
	// once merged.
	Machines []Machine `json:"machines"`
	// Calls are ordered by Index.
	Calls []Call `json:"calls"`

	// Summary is derived from Calls, for readers of the JSON (jq
	// '.summary.verdict'): Write fills it in, Read and Merge compute it
	// again from the calls, so it can never disagree with them.
	Summary *Summary `json:"summary,omitempty"`
}

// Shard says which part of the work a report holds: the K-th (1-based) of
// Count equal parts.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Machine is the load on the machine that ran the calls, so a slow result
// can be told apart from a slow agent.
type Machine struct {
	Hostname string `json:"hostname,omitempty"`
	Shard    *Shard `json:"shard,omitempty"`
	CPUs     int    `json:"cpus"`
	// Load1Start and Load1End are the 1-minute load average before and
	// after the run.
	Load1Start float64 `json:"load1_start"`
	Load1End   float64 `json:"load1_end"`
	// CPUPercent is this process's CPU time over the run's wall time, in
	// percent of one core.
	CPUPercent float64 `json:"cpu_percent"`
	// PeakRSSBytes is the process's peak resident memory.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// Overloaded says the machine could not keep up (send pacing late
	// beyond the bound, or the CPUs saturated); Notes say how it showed.
	Overloaded bool     `json:"overloaded"`
	Notes      []string `json:"notes,omitempty"`
}

// Call is one scripted call: one scenario, one repetition.
type Call struct {
	// Index is the call's place in the whole run's work (scenario order,
	// then repetition), the same whichever shard ran it, so merged shards
	// sort back into one order.
	Index    int    `json:"index"`
	Scenario string `json:"scenario"` // the scenario's name
	File     string `json:"file"`     // the scenario file, as given
	Line     int    `json:"line,omitempty"`
	Repeat   int    `json:"repeat"` // 0-based repetition

	Room     string `json:"room,omitempty"`
	Identity string `json:"identity,omitempty"`
	CallID   string `json:"call_id,omitempty"`

	Verdict Verdict `json:"verdict"`
	// Error is why the call could not run, when Verdict is Error.
	Error *Failure `json:"error,omitempty"`

	DurationMS int64 `json:"duration_ms"`
	// ConnectMS is the time from the start of the call to joining the
	// room (credentials included); AgentJoinMS from joining to the agent's
	// arrival.
	ConnectMS   *int64 `json:"connect_ms,omitempty"`
	AgentJoinMS *int64 `json:"agent_join_ms,omitempty"`

	Pacing Pacing `json:"pacing"`

	Greeting *Turn  `json:"greeting,omitempty"`
	Turns    []Turn `json:"turns"`
	// Checks are the expectations on the whole call (deadline, the
	// agent's states, the number of its turns).
	Checks      []Check  `json:"checks,omitempty"`
	AgentStates []string `json:"agent_states,omitempty"`
	AgentTurns  int      `json:"agent_turns"`

	// Files written for this call, on request.
	Recording  string `json:"recording,omitempty"`
	Transcript string `json:"transcript,omitempty"`
}

// Pacing is how truly the call's audio was sent, in microseconds of
// lateness per 20 ms frame.
type Pacing struct {
	Frames    int64 `json:"frames"`
	LateP50US int64 `json:"late_p50_us"`
	LateP99US int64 `json:"late_p99_us"`
	LateMaxUS int64 `json:"late_max_us"`
	Stalls    int64 `json:"stalls"`
}

// Turn is one turn of a call and its verdict.
type Turn struct {
	Index int    `json:"index"` // 0-based; the greeting is -1
	Name  string `json:"name"`
	Kind  string `json:"kind"` // say, chat, silence, greeting
	Line  int    `json:"line,omitempty"`

	// Said is what the user said: the text of a spoken or typed turn, or
	// the audio file's name.
	Said string `json:"said,omitempty"`
	// Heard is the user's transcript as the agent sent it back.
	Heard string `json:"heard,omitempty"`
	// Reply is the agent's transcript of its reply.
	Reply string `json:"reply,omitempty"`

	Verdict Verdict `json:"verdict"`
	Checks  []Check `json:"checks,omitempty"`

	Latency Latency `json:"latency"`
	// Times, as milliseconds since the call began.
	StartMS      int64    `json:"start_ms"`
	SpeechEndMS  *int64   `json:"speech_end_ms,omitempty"`
	ReplyStartMS *int64   `json:"reply_start_ms,omitempty"`
	ReplyEndMS   *int64   `json:"reply_end_ms,omitempty"`
	States       []string `json:"states,omitempty"`
}

// Latency is a turn's figures in milliseconds, each from the end of the
// user's speech (the last voiced frame sent) unless it says otherwise; nil
// where it did not happen.
type Latency struct {
	// AudioMS: to the agent's first audible audio. The main figure.
	AudioMS *int64 `json:"audio_ms,omitempty"`
	// CaptionMS: to the first text of the agent's reply.
	CaptionMS *int64 `json:"caption_ms,omitempty"`
	// ThinkingMS and SpeakingMS: to the agent's state becoming thinking
	// and speaking.
	ThinkingMS *int64 `json:"thinking_ms,omitempty"`
	SpeakingMS *int64 `json:"speaking_ms,omitempty"`
	// StopMS: after a barge-in, from the user's first voiced frame to the
	// interrupted reply's last audible audio.
	StopMS *int64 `json:"stop_ms,omitempty"`
	// LongestGapMS: the longest dead air inside the reply.
	LongestGapMS *int64 `json:"longest_gap_ms,omitempty"`
	// AgentMS: the agent's own end-to-end figure for this reply, as it
	// reported it (LiveKit Agents' e2e_latency, on lk.agent.session): from
	// the end of the user's speech as the agent heard it to its first
	// audio out. AudioMS adds the network both ways and the playout
	// buffers, so it is never expected below AgentMS.
	AgentMS *int64 `json:"agent_ms,omitempty"`
}

// Check is one expectation and how it went.
type Check struct {
	// Name is the expectation's key in the scenario file (replied,
	// contains, matches, not_matches, heard, max_latency, max_stop,
	// max_gap, deadline, states, agent_turns).
	Name   string `json:"name"`
	Line   int    `json:"line,omitempty"`
	Passed bool   `json:"passed"`
	// Expected and Actual are what a person compares: the pattern or bound,
	// and the text or figure seen.
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
}

// Failure is why a call could not run: its error and the exit code webcall
// would have returned for it alone.
type Failure struct {
	Kind    string `json:"kind"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// MS is d in whole milliseconds, for the optional figures.
func MS(d time.Duration) *int64 {
	ms := d.Milliseconds()
	return &ms
}
