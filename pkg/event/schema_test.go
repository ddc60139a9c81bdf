package event_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

var schemaPath = filepath.Join("..", "..", "schema", "events.schema.json")

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s is not JSON: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("events.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("events.schema.json")
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return sch
}

func validateLine(sch *jsonschema.Schema, line []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// schemaDoc is the parts of the schema file that say which types exist.
type schemaDoc struct {
	Properties struct {
		Type struct {
			Enum []string `json:"enum"`
		} `json:"type"`
	} `json:"properties"`
	AllOf []struct {
		If struct {
			Properties struct {
				Type struct {
					Const string `json:"const"`
				} `json:"type"`
			} `json:"properties"`
		} `json:"if"`
	} `json:"allOf"`
	Defs map[string]struct {
		Enum []string `json:"enum"`
	} `json:"$defs"`
}

func readSchemaDoc(t *testing.T) schemaDoc {
	t.Helper()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var d schemaDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// declaredTypes are the values of every constant of type Type in
// event.go, read from the source: a type added there without a schema
// fails the test below.
func declaredTypes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "event.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Type" {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("a Type constant is not a string literal: %T", v)
				}
				s, _ := strconv.Unquote(lit.Value)
				types = append(types, s)
			}
		}
	}
	if len(types) < 14 {
		t.Fatalf("found only %d Type constants in event.go: %v", len(types), types)
	}
	slices.Sort(types)
	return types
}

// The schema names exactly the types event.go declares: in the type
// enum, and with one if/then rule each.
func TestSchemaListsEveryType(t *testing.T) {
	want := declaredTypes(t)
	d := readSchemaDoc(t)
	enum := slices.Sorted(slices.Values(d.Properties.Type.Enum))
	if !slices.Equal(enum, want) {
		t.Errorf("schema type enum %v\nevent.go declares  %v", enum, want)
	}
	var rules []string
	for _, r := range d.AllOf {
		rules = append(rules, r.If.Properties.Type.Const)
	}
	slices.Sort(rules)
	if !slices.Equal(rules, want) {
		t.Errorf("schema has rules for %v\nevent.go declares   %v", rules, want)
	}
}

// The value enums of the schema are the constants of pkg/event and
// pkg/failure.
func TestSchemaEnums(t *testing.T) {
	d := readSchemaDoc(t)
	var kinds []string
	for k := failure.Kind(0); !strings.HasPrefix(k.String(), "kind("); k++ {
		kinds = append(kinds, k.String())
	}
	for name, want := range map[string][]string{
		"connectionState": {event.ConnReconnecting, event.ConnReconnected, event.ConnLost, event.ConnRejoining, event.ConnRejoined},
		"warningKind":     {event.WarnDevice, event.WarnBuffer, event.WarnMedia},
		"muteState":       {event.MuteOn, event.MuteOff},
		"speaker":         {event.SpeakerUser, event.SpeakerAgent},
		"errorKind":       kinds,
	} {
		got := slices.Sorted(slices.Values(d.Defs[name].Enum))
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("$defs.%s enum %v, want %v", name, got, want)
		}
	}
}

// examples holds one event of each type with every field it can carry,
// as the JSON renderer writes them: the schema must accept them all.
var examples = []event.Event{
	{Type: event.Connected, TimeMS: 71, Room: "call-1", Identity: "caller", CallID: "c-42", URL: "wss://agents.example.test"},
	{Type: event.AgentJoined, TimeMS: 380, Identity: "agent-AJ_x", Name: "Ava"},
	{Type: event.AgentState, TimeMS: 381, Identity: "agent-AJ_x", State: "listening"},
	{Type: event.Transcript, TimeMS: 1200, Identity: "caller", Speaker: event.SpeakerUser, SegmentID: "SG_1", Text: "Hello", Final: event.Bool(false)},
	{Type: event.InputDone, TimeMS: 4000},
	{Type: event.Connection, TimeMS: 4100, State: event.ConnReconnecting},
	{Type: event.Connection, TimeMS: 19100, State: event.ConnLost, Message: "the server did not answer for 15s while reconnecting"},
	{Type: event.Connection, TimeMS: 19101, State: event.ConnRejoining, Attempt: 2, MaxAttempts: 6, DelayMS: 980},
	{Type: event.Connection, TimeMS: 21000, State: event.ConnRejoined, Room: "call-1", GapMS: 16900},
	{Type: event.Mute, TimeMS: 4200, State: event.MuteOn},
	{Type: event.Chat, TimeMS: 4300, Speaker: event.SpeakerAgent, Identity: "agent-AJ_x", Text: "Here is the link."},
	{Type: event.Warning, TimeMS: 4400, Kind: event.WarnDevice, Message: "audio: the sound device went quiet for 2.1s; restarted it"},
	{Type: event.AgentMetrics, TimeMS: 4500, Identity: "agent-AJ_x", Metrics: &event.AgentTurnMetrics{
		Source: event.SourceAgentSession, ItemID: "item_1", Interrupted: true, TranscriptionDelayMS: f(120), EndOfTurnMS: f(610.5),
		LLMTTFTMS: f(250), TTSTTFBMS: f(90), E2ELatencyMS: f(910.4)}},
	{Type: event.AgentLeft, TimeMS: 8000, Identity: "agent-AJ_x"},
	{Type: event.Error, TimeMS: 9000, Code: 5, Kind: "no_agent", Message: "no agent joined", Hint: "check the agent"},
	{Type: event.Stats, TimeMS: 9001, Stats: &event.CallStats{DurationMS: 9001, SentMS: 8960, ReceivedMS: 2100, FirstAgentAudio: 2610,
		ReplyLatencyMS: 930, PlaybackUnderrun: 1, PlaybackOverrun: 2, AgentE2ELatencyMS: f(910.4)}},
	{Type: event.Disconnected, TimeMS: 9002, Reason: "the agent's reply is over"},
}

func f(v float64) *float64 { return &v }

func render(t *testing.T, evs ...event.Event) [][]byte {
	t.Helper()
	var b bytes.Buffer
	j := transcript.NewJSON(&b)
	for _, e := range evs {
		if err := j.Render(e); err != nil {
			t.Fatal(err)
		}
	}
	return bytes.SplitAfter(bytes.TrimSuffix(b.Bytes(), []byte("\n")), []byte("\n"))
}

func TestSchemaAcceptsEveryType(t *testing.T) {
	sch := compileSchema(t)
	seen := map[string]bool{}
	for _, line := range render(t, examples...) {
		if err := validateLine(sch, line); err != nil {
			t.Errorf("%s rejected: %v", line, err)
		}
		var e event.Event
		_ = json.Unmarshal(line, &e)
		seen[string(e.Type)] = true
	}
	for _, typ := range declaredTypes(t) {
		if !seen[typ] {
			t.Errorf("no example of %s here", typ)
		}
	}
}

// Every line of the JSON renderer's golden file is valid.
func TestSchemaAcceptsGolden(t *testing.T) {
	sch := compileSchema(t)
	golden, err := os.Open(filepath.Join("..", "transcript", "testdata", "json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	defer golden.Close()
	sc := bufio.NewScanner(golden)
	n := 0
	for sc.Scan() {
		n++
		if err := validateLine(sch, sc.Bytes()); err != nil {
			t.Errorf("json.golden line %d rejected: %s\n%v", n, sc.Text(), err)
		}
	}
	if n == 0 {
		t.Fatal("json.golden is empty")
	}
}

// The schema is not trivially permissive: each of these lines is wrong
// in one way and must be rejected.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	for name, line := range map[string]string{
		"unknown field":              `{"v":1,"type":"agent_left","time_ms":5,"identity":"a","color":"red"}`,
		"field of another type":      `{"v":1,"type":"agent_left","time_ms":5,"identity":"a","text":"hi"}`,
		"wrong field type":           `{"v":1,"type":"transcript","time_ms":5,"speaker":"user","segment_id":"s","text":"hi","final":"yes"}`,
		"time as a string":           `{"v":1,"type":"input_done","time_ms":"5"}`,
		"unknown type":               `{"v":1,"type":"telepathy","time_ms":5}`,
		"no version":                 `{"type":"input_done","time_ms":5}`,
		"another version":            `{"v":2,"type":"input_done","time_ms":5}`,
		"no type":                    `{"v":1,"time_ms":5}`,
		"unknown agent state":        `{"v":1,"type":"agent_state","time_ms":5,"identity":"a","state":"dreaming"}`,
		"connection state in reason": `{"v":1,"type":"connection","time_ms":5,"reason":"reconnecting"}`,
		"unknown warning kind":       `{"v":1,"type":"warning","time_ms":5,"kind":"weather","message":"rain"}`,
		"warning without message":    `{"v":1,"type":"warning","time_ms":5,"kind":"buffer"}`,
		"unknown speaker":            `{"v":1,"type":"chat","time_ms":5,"speaker":"narrator","text":"x"}`,
		"unknown mute state":         `{"v":1,"type":"mute","time_ms":5,"state":"quiet"}`,
		"unknown error kind":         `{"v":1,"type":"error","time_ms":5,"code":1,"kind":"oops","message":"m"}`,
		"unknown stats field":        `{"v":1,"type":"stats","time_ms":5,"stats":{"duration_ms":1,"sent_audio_ms":1,"received_audio_ms":1,"jitter_ms":3}}`,
		"metrics without source":     `{"v":1,"type":"agent_metrics","time_ms":5,"identity":"a","metrics":{"e2e_latency_ms":900}}`,
		"negative latency":           `{"v":1,"type":"agent_metrics","time_ms":5,"identity":"a","metrics":{"source":"lk.agent.session","e2e_latency_ms":-1}}`,
	} {
		if err := validateLine(sch, []byte(line)); err == nil {
			t.Errorf("%s: accepted %s", name, line)
		}
	}
}

// The README's example lines follow the schema: the documentation cannot
// drift from it unnoticed.
func TestSchemaAcceptsReadmeExamples(t *testing.T) {
	sch := compileSchema(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, `{"v":`) {
			continue
		}
		if err := validateLine(sch, []byte(line)); err != nil {
			t.Errorf("README.md line %d rejected: %s\n%v", i+1, line, err)
		}
		var e event.Event
		_ = json.Unmarshal([]byte(line), &e)
		seen[string(e.Type)] = true
	}
	for _, typ := range declaredTypes(t) {
		if !seen[typ] {
			t.Errorf("the README has no example of %s", typ)
		}
	}
}

// Every field event.Event (and the structs it holds) can print is allowed
// by the schema for at least one type: a field added to the Go types
// without the schema would make real output invalid.
func TestSchemaKnowsEveryField(t *testing.T) {
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	union := func(prefix string) map[string]bool {
		names := map[string]bool{}
		for name, d := range doc.Defs {
			if strings.HasPrefix(name, prefix) {
				for p := range d.Properties {
					names[p] = true
				}
			}
		}
		return names
	}
	for _, tc := range []struct {
		v       any
		allowed map[string]bool
	}{
		{event.Event{}, union("event_")},
		{event.CallStats{}, union("stats")},
		{event.AgentTurnMetrics{}, union("agentTurnMetrics")},
	} {
		rt := reflect.TypeOf(tc.v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" && !tc.allowed[name] {
				t.Errorf("%s.%s prints %q, which the schema allows nowhere", rt.Name(), rt.Field(i).Name, name)
			}
		}
	}
}
