package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/report"
)

// The agent of the scenario tests answers by what it heard: hello.wav is
// heard as a booking, question.wav as a question about the window, and
// typed text as itself.
func scenarioAgent(t *testing.T, opts testagent.Options) *e2e {
	t.Helper()
	if len(opts.Heard) == 0 {
		opts.Heard = []string{heard, "Do you have a table by the window?"}
	}
	if opts.InterruptAfter == 0 {
		opts.InterruptAfter = testagent.DefaultInterruptAfter // as LiveKit Agents do
	}
	if len(opts.Replies) == 0 {
		wav := repoFile("audio", "reply.wav")
		opts.Replies = []testagent.Reply{
			{When: "book", WAV: wav, Text: replyText},
			{When: "window", WAV: wav, Text: "Yes, we have a window table for you."},
			{When: "three", WAV: wav, Text: "A table for three people, noted."},
		}
	}
	return startE2E(t, opts)
}

// writeScenario writes a scenario file whose connection comes from the
// environment runScenarios sets, and returns its path.
func writeScenario(t *testing.T, dir, name, body string) string {
	t.Helper()
	head := `connection:
  url: ${LIVEKIT_URL}
  api_key: ${LIVEKIT_API_KEY}
  api_secret: ${LIVEKIT_API_SECRET}
  agent_name: ${AGENT_NAME}
`
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("name: "+strings.TrimSuffix(name, ".yaml")+"\n"+head+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// audioPath is a test audio file as a scenario names it: absolute, since
// the scenario lives in a temporary directory.
func audioPath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(repoFile("audio", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runScenarios runs `webcall test` against e's server and agent.
func (e *e2e) runScenarios(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return runBin(t, ctx, map[string]string{
		"LIVEKIT_URL":        e.srv.URL,
		"LIVEKIT_API_KEY":    e.srv.APIKey,
		"LIVEKIT_API_SECRET": e.srv.APISecret,
		"AGENT_NAME":         e.name,
	}, append([]string{"test"}, args...)...)
}

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no report: %v", err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report: %v", err)
	}
	return &r
}

// junitSuites is what a CI system reads from a JUnit file.
type junitSuites struct {
	Suites []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitSuites {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no JUnit file: %v", err)
	}
	var j junitSuites
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatalf("JUnit file does not parse: %v\n%s", err, b)
	}
	return j
}

// A three-turn conversation (spoken, typed, spoken) passes, with a
// latency for every turn and both reports written.
func TestScenarioThreeTurns(t *testing.T) {
	inParallel(t)
	e := scenarioAgent(t, testagent.Options{})
	dir := t.TempDir()
	sc := writeScenario(t, dir, "booking.yaml", fmt.Sprintf(`timeout: 90s
turns:
  - name: ask for a table
    say: %s
    expect:
      heard: book a table
      contains: [what time]
      max_latency: 3s
  - name: how many
    chat: we are three people
    expect:
      matches: "three|3"
  - name: the window
    text: Do you have a table by the window?
    expect:
      heard: window
      contains: window table
      not_matches: sorry
expect:
  states: [listening, thinking, speaking, listening]
  agent_turns: 3
`, audioPath(t, "hello.wav")))
	rep, junit, rec := filepath.Join(dir, "report.json"), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "rec")
	r := e.runScenarios(t, sc, "--report", rep, "--junit", junit, "--record-dir", rec)
	noStackTrace(t, r)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	got := readReport(t, rep)
	if len(got.Calls) != 1 || got.Calls[0].Verdict != report.Pass || len(got.Calls[0].Turns) != 3 {
		t.Fatalf("report: %+v", got.Calls)
	}
	for _, turn := range got.Calls[0].Turns {
		if turn.Verdict != report.Pass || turn.Latency.AudioMS == nil || *turn.Latency.AudioMS <= 0 {
			t.Errorf("turn %q: %s, latency %v; checks %+v", turn.Name, turn.Verdict, turn.Latency.AudioMS, turn.Checks)
		}
		if turn.Latency.ThinkingMS == nil || turn.Latency.CaptionMS == nil {
			t.Errorf("turn %q: no thinking or caption figure: %+v", turn.Name, turn.Latency)
		}
	}
	if c := got.Calls[0]; c.ConnectMS == nil || c.AgentJoinMS == nil || c.Pacing.Frames == 0 {
		t.Errorf("call figures missing: connect %v, agent join %v, pacing %+v", c.ConnectMS, c.AgentJoinMS, c.Pacing)
	}
	// The call's recording and transcript, on request.
	c := got.Calls[0]
	clip, err := audio.LoadFile(c.Recording)
	if err != nil || clip.SourceChannels != 2 || clip.Duration() < 10*time.Second {
		t.Errorf("recording %q: %v, %+v", c.Recording, err, clip)
	}
	if b, err := os.ReadFile(c.Transcript); err != nil || !strings.Contains(string(b), "agent: Yes, we have a window table") || !strings.Contains(string(b), "you: Hello") {
		t.Errorf("transcript %q: %v\n%s", c.Transcript, err, b)
	}
	if j := readJUnit(t, junit); len(j.Suites) != 1 || len(j.Suites[0].Cases) < 3 {
		t.Errorf("JUnit: %+v", j)
	}
	for _, want := range []string{"turn 1: ask", "how many", "hello.wav", "PASS"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the summary does not show %q:\n%s", want, r.stderr)
		}
	}
}

// A wrong expectation fails with exit code 9, and the JUnit file names
// the turn and shows what was expected and what the agent said.
func TestScenarioWrongExpectation(t *testing.T) {
	inParallel(t)
	e := scenarioAgent(t, testagent.Options{})
	dir := t.TempDir()
	sc := writeScenario(t, dir, "wrong.yaml", fmt.Sprintf(`turns:
  - name: ask for a table
    say: %s
    expect:
      contains: we are fully booked
`, audioPath(t, "hello.wav")))
	junit := filepath.Join(dir, "junit.xml")
	r := e.runScenarios(t, sc, "--junit", junit)
	noStackTrace(t, r)
	if r.code != exitCheck {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitCheck, r.stderr)
	}
	j := readJUnit(t, junit)
	var failed []string
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				failed = append(failed, c.Name+"\n"+c.Failure.Message+"\n"+c.Failure.Text)
			}
		}
	}
	if len(failed) != 1 {
		t.Fatalf("failed cases %q, want the one turn", failed)
	}
	for _, want := range []string{"ask for a table", "we are fully booked", "What time would you like"} {
		if !strings.Contains(failed[0], want) {
			t.Errorf("the JUnit failure does not show %q:\n%s", want, failed[0])
		}
	}
}

// A turn that barges in while the agent replies stops it, and the report
// says how fast.
func TestScenarioBargeIn(t *testing.T) {
	e := scenarioAgent(t, testagent.Options{})
	dir := t.TempDir()
	sc := writeScenario(t, dir, "barge.yaml", fmt.Sprintf(`turns:
  - say: %s
  - name: interrupt
    say: %s
    barge_in: 800ms
    expect:
      max_stop: 1500ms
      contains: window
`, audioPath(t, "hello.wav"), audioPath(t, "question.wav")))
	rep := filepath.Join(dir, "report.json")
	r := e.runScenarios(t, sc, "--report", rep)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	turns := readReport(t, rep).Calls[0].Turns
	stop := turns[1].Latency.StopMS
	// The agent stops once it has heard 500 ms of speech: 25 frames, the
	// last of which arrives 480 ms after the first.
	if least := testagent.DefaultInterruptAfter - audio.FrameDuration; stop == nil || time.Duration(*stop)*time.Millisecond < least-5*time.Millisecond {
		t.Fatalf("stop latency %v ms: the agent stops after %v of the user's speech, so it cannot be less than %v", stop, testagent.DefaultInterruptAfter, least)
	}
	t.Logf("the agent stopped %d ms after the user began to speak", *stop)
	if !strings.Contains(turns[0].Reply, "Sure") || strings.Contains(turns[0].Reply, "What time would you like") {
		t.Errorf("the interrupted reply should hold only what was said before the barge-in: %q", turns[0].Reply)
	}
}

// A scenario with a schema error fails before anything connects, naming
// the file and the line.
func TestScenarioSchemaError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "broken.yaml")
	body := "connection:\n  url: ws://127.0.0.1:1\nturns:\n  - say: x.wav\n    expect:\n      max_latency: fast\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, context.Background(), nil, "test", path)
	noStackTrace(t, r)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitUsage, r.stderr)
	}
	if !strings.Contains(r.stderr, "broken.yaml:") || !strings.Contains(r.stderr, "max_latency") {
		t.Errorf("the error does not name the file, line and field:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "connecting") {
		t.Errorf("it connected before checking the file:\n%s", r.stderr)
	}
}

// The latency webcall reports is the agent's own figure (from the end of
// the user's speech as it heard it to its first audible reply) plus the
// network both ways: never less, and on loopback within 40 ms of it,
// whatever the agent's thinking time.
func TestLatencyMatchesTheAgents(t *testing.T) {
	for _, delay := range []time.Duration{300 * time.Millisecond, 800 * time.Millisecond, 1500 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			var (
				mu    sync.Mutex
				facts []testagent.Fact
			)
			e := scenarioAgent(t, testagent.Options{ReplyDelay: delay, OnFact: func(f testagent.Fact) {
				mu.Lock()
				facts = append(facts, f)
				mu.Unlock()
			}})
			dir := t.TempDir()
			sc := writeScenario(t, dir, "latency.yaml", fmt.Sprintf("turns:\n  - say: %s\n", audioPath(t, "hello.wav")))
			rep := filepath.Join(dir, "report.json")
			if r := e.runScenarios(t, sc, "--report", rep); r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			lat := readReport(t, rep).Calls[0].Turns[0].Latency
			got := lat.AudioMS
			mu.Lock()
			defer mu.Unlock()
			var agent time.Duration
			for _, f := range facts {
				if f.Kind == testagent.FactReplyStarted {
					agent = f.Latency
				}
			}
			if got == nil || agent == 0 {
				t.Fatalf("client latency %v, agent's %v; facts %+v", got, agent, facts)
			}
			client := time.Duration(*got) * time.Millisecond
			t.Logf("reply delay %v: webcall reports %v, the agent measured %v", delay, client, agent)
			if client < agent-20*time.Millisecond || client > agent+40*time.Millisecond {
				t.Errorf("webcall reports %v, the agent measured %v: want the agent's figure plus at most 40 ms", client, agent)
			}
			// The report puts the agent's own figure, as it sent it on
			// lk.agent.session, beside webcall's.
			if lat.AgentMS == nil {
				t.Fatalf("the report has no agent_ms; the agent measured %v", agent)
			}
			if diff := time.Duration(*lat.AgentMS)*time.Millisecond - agent; diff < -time.Millisecond || diff > time.Millisecond {
				t.Errorf("the report's agent_ms is %d, the agent measured %v", *lat.AgentMS, agent)
			}
		})
	}
}

// webcall call --input reports the same figure as a scenario: from the
// last voiced frame, not the end of the file (whose trailing silence the
// agent already counts as silence), so never below the agent's own.
func TestCallReplyLatencyIsNotBelowTheAgents(t *testing.T) {
	var (
		mu    sync.Mutex
		agent time.Duration
	)
	e := startE2E(t, testagent.Options{OnFact: func(f testagent.Fact) {
		if f.Kind == testagent.FactReplyStarted {
			mu.Lock()
			agent = f.Latency
			mu.Unlock()
		}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := e.call(t, ctx, "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var client time.Duration
	for _, ev := range parseEvents(t, r.stdout) {
		if ev.Stats != nil {
			client = time.Duration(ev.Stats.ReplyLatencyMS) * time.Millisecond
		}
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("webcall call reports %v, the agent measured %v", client, agent)
	if agent == 0 || client < agent-20*time.Millisecond || client > agent+40*time.Millisecond {
		t.Errorf("reply_latency_ms %v, the agent's own %v: want the agent's figure plus at most 40 ms", client, agent)
	}
}

// The same suite run whole and as three shards, merged, gives the same
// verdicts and turns.
func TestShardAndMerge(t *testing.T) {
	inParallel(t)
	e := scenarioAgent(t, testagent.Options{})
	dir := t.TempDir()
	var scs []string
	for i, expect := range []string{"contains: what time", "contains: no such words", "heard: book"} {
		scs = append(scs, writeScenario(t, dir, fmt.Sprintf("s%d.yaml", i+1),
			fmt.Sprintf("turns:\n  - say: %s\n    expect:\n      %s\n", audioPath(t, "hello.wav"), expect)))
	}
	whole := filepath.Join(dir, "whole.json")
	r := e.runScenarios(t, append(scs, "--repeat", "2", "--concurrency", "3", "--report", whole)...)
	if r.code != exitCheck {
		t.Fatalf("whole run: exit %d, want %d (one scenario fails)\n%s", r.code, exitCheck, r.stderr)
	}
	var shards []string
	var wg sync.WaitGroup
	results := make([]result, 3)
	for k := 1; k <= 3; k++ {
		path := filepath.Join(dir, fmt.Sprintf("shard-%d.json", k))
		shards = append(shards, path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[k-1] = e.runScenarios(t, append(scs, "--repeat", "2", "--shard", fmt.Sprintf("%d/3", k), "--report", path)...)
		}()
	}
	wg.Wait()
	for k, r := range results {
		if r.code != 0 && r.code != exitCheck {
			t.Fatalf("shard %d: exit %d\n%s", k+1, r.code, r.stderr)
		}
	}
	merged := filepath.Join(dir, "merged.json")
	m := runBin(t, context.Background(), nil, append([]string{"report", "merge", "--report", merged}, shards...)...)
	if m.code != exitCheck {
		t.Fatalf("merge: exit %d, want %d\n%s", m.code, exitCheck, m.stderr)
	}
	a, b := readReport(t, whole), readReport(t, merged)
	if va, vb := verdicts(a), verdicts(b); va != vb {
		t.Errorf("whole run %s, merged shards %s", va, vb)
	}
}

// verdicts sums up a report: each call's scenario, repetition and turn
// verdicts, in order.
func verdicts(r *report.Report) string {
	var b strings.Builder
	for _, c := range r.Calls {
		fmt.Fprintf(&b, "%d %s#%d %s:", c.Index, c.Scenario, c.Repeat, c.Verdict)
		for _, t := range c.Turns {
			fmt.Fprintf(&b, " %s", t.Verdict)
		}
		b.WriteString("; ")
	}
	return b.String()
}
