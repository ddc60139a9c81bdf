package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// eventSchema compiles schema/events.schema.json.
func eventSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("..", "..", "schema", "events.schema.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("events.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("events.schema.json")
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return sch
}

// checkSchema validates every line of stdout against the event schema and
// returns how many there were.
func checkSchema(t testing.TB, sch *jsonschema.Schema, stdout string) int {
	t.Helper()
	n := 0
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(sc.Bytes()))
		if err == nil {
			err = sch.Validate(inst)
		}
		if err != nil {
			t.Errorf("line %d does not follow the schema: %s\n%v", n, sc.Text(), err)
		}
	}
	return n
}

// A real call's JSON output follows the schema line by line, and carries
// the agent's own latency (reported on lk.agent.session) beside the
// client's: in an agent_metrics event, in stats and on the closing status
// line. The client's figure is the agent's plus the network, never below
// it by more than a frame (the two ends judge the last voiced 20 ms frame
// each by their own threshold).
func TestSchemaRealCall(t *testing.T) {
	inParallel(t)
	var (
		mu    sync.Mutex
		facts []testagent.Fact
	)
	e := startE2E(t, testagent.Options{OnFact: func(f testagent.Fact) {
		mu.Lock()
		facts = append(facts, f)
		mu.Unlock()
	}})
	sch := eventSchema(t)
	r := e.call(t, context.Background(), "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	t.Logf("stdout:\n%s", r.stdout)
	if n := checkSchema(t, sch, r.stdout); n < 8 {
		t.Errorf("only %d events:\n%s", n, r.stdout)
	}
	evs := parseEvents(t, r.stdout)
	for _, ev := range evs {
		if ev.V != event.SchemaVersion {
			t.Errorf("event without v %d: %+v", event.SchemaVersion, ev)
		}
	}

	mu.Lock()
	var agentSaid time.Duration
	for _, f := range facts {
		if f.Kind == testagent.FactReplyStarted && !f.LastVoicedAt.IsZero() {
			agentSaid = f.Latency
		}
	}
	mu.Unlock()
	if agentSaid == 0 {
		t.Fatalf("the test agent stated no reply latency")
	}
	agentMS := float64(agentSaid) / float64(time.Millisecond)

	var metrics []event.Event
	var stats *event.CallStats
	for _, ev := range evs {
		switch ev.Type {
		case event.AgentMetrics:
			metrics = append(metrics, ev)
		case event.Stats:
			stats = ev.Stats
		}
	}
	if len(metrics) != 1 {
		t.Fatalf("want one agent_metrics event (one reply), got %d:\n%s", len(metrics), dumpEvents(metrics))
	}
	m := metrics[0].Metrics
	if metrics[0].Identity == "" || m.Source != event.SourceAgentSession || m.ItemID == "" || m.Interrupted {
		t.Errorf("agent_metrics %+v %+v", metrics[0], m)
	}
	if m.E2ELatencyMS == nil || math.Abs(*m.E2ELatencyMS-agentMS) > 0.1 {
		t.Errorf("agent_metrics e2e %v ms, the agent measured %.1f ms", m.E2ELatencyMS, agentMS)
	}
	if m.EndOfTurnMS == nil || *m.EndOfTurnMS < float64(testagent.DefaultSilenceTimeout/time.Millisecond)-50 {
		t.Errorf("end of turn %v ms: the agent waits %s of silence", m.EndOfTurnMS, testagent.DefaultSilenceTimeout)
	}
	if stats == nil || stats.AgentE2ELatencyMS == nil || m.E2ELatencyMS == nil || *stats.AgentE2ELatencyMS != *m.E2ELatencyMS {
		t.Fatalf("stats %+v do not carry the agent's figure %v", stats, m.E2ELatencyMS)
	}
	client := float64(stats.ReplyLatencyMS)
	t.Logf("webcall measured %.0f ms, the agent %.1f ms", client, agentMS)
	if client < agentMS-20 {
		t.Errorf("webcall's reply latency %.0f ms is below the agent's own %.1f ms", client, agentMS)
	}
	want := fmt.Sprintf("reply latency %d ms (the agent measured %.0f ms)", stats.ReplyLatencyMS, math.Round(*m.E2ELatencyMS))
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}

// A failing call's JSON output follows the schema too, and ends with an
// error event.
func TestSchemaFailingCall(t *testing.T) {
	inParallel(t)
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := lkserver.Start(t)
	sch := eventSchema(t)
	for _, tc := range []struct {
		name, secret, kind string
		code               int
	}{
		{"no agent", srv.APISecret, "no_agent", exitNoAgent},
		{"wrong secret", "not-the-secret-of-this-server", "auth", exitAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runBin(t, context.Background(), map[string]string{"LIVEKIT_API_SECRET": tc.secret},
				"call", "--format", "json", "--url", srv.URL, "--api-key", srv.APIKey, "--agent-name", "nobody-is-registered-as-this",
				"--input", repoFile("audio", "hello.wav"), "--wait-agent", "2s")
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
			}
			t.Logf("stdout:\n%s", r.stdout)
			if n := checkSchema(t, sch, r.stdout); n == 0 {
				t.Fatalf("no events on stdout; stderr:\n%s", r.stderr)
			}
			evs := parseEvents(t, r.stdout)
			last := evs[len(evs)-1]
			if last.Type != event.Error || last.Kind != tc.kind || last.Code != tc.code || last.Message == "" {
				t.Errorf("last event %+v, want an error of kind %s and code %d", last, tc.kind, tc.code)
			}
			if strings.Contains(r.stdout, tc.secret) {
				t.Errorf("the secret is on stdout")
			}
		})
	}
}

// A warning is one status line on stderr and one event in the JSON
// stream, which follows the schema.
func TestWarningShownOnce(t *testing.T) {
	var out, errOut bytes.Buffer
	s := &streams{Out: &out, ErrOut: &errOut, flushOut: func() error { return nil }, flushErr: func() error { return nil }}
	render := transcript.NewJSON(&out)
	status := newStatus(s, true, render) // --quiet does not hide warnings
	show := func(e event.Event) { _ = render.Render(e) }
	status.warning(event.Event{Type: event.Warning, TimeMS: 1200, Kind: event.WarnDevice, Message: restartedMessage(2100*time.Millisecond, nil)}, show)

	if got := strings.Count(errOut.String(), "went quiet"); got != 1 {
		t.Errorf("stderr shows the warning %d times:\n%s", got, errOut.String())
	}
	if n := checkSchema(t, eventSchema(t), out.String()); n != 1 {
		t.Fatalf("%d events on stdout, want 1:\n%s", n, out.String())
	}
	var e event.Event
	if err := json.Unmarshal(out.Bytes(), &e); err != nil || e.Type != event.Warning || e.Kind != event.WarnDevice || !strings.Contains(e.Message, "restarted it") {
		t.Errorf("event %s (%v)", out.String(), err)
	}
}
