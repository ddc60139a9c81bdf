package scenario

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// formatExample is the full example of FORMAT.md, its first yaml block.
func formatExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("FORMAT.md")
	must(t, err)
	s := string(b)
	i := strings.Index(s, "```yaml\n")
	if i < 0 {
		t.Fatal("FORMAT.md has no yaml block")
	}
	s = s[i+len("```yaml\n"):]
	return s[:strings.Index(s, "```")]
}

// The package comment and FORMAT.md show the same example, so neither can
// drift from what Load accepts (TestFormatExampleLoads).
func TestDocExampleIsFormatExample(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	must(t, err)
	var block []string
	started := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "//\t"):
			started = true
			block = append(block, strings.TrimPrefix(line, "//\t"))
		case started && line == "//" && len(block) > 0:
			// a blank line inside the block, or its end
			goto done
		}
	}
done:
	if got, want := strings.Join(block, "\n")+"\n", formatExample(t); got != want {
		t.Errorf("doc.go's example differs from FORMAT.md's:\n%s\nwant:\n%s", got, want)
	}
}

func stripPatterns(x *Expect) map[string]string {
	out := map[string]string{}
	for name, p := range map[string]**Pattern{"matches": &x.Matches, "not_matches": &x.NotMatches, "heard": &x.Heard} {
		if *p != nil {
			out[name] = (*p).Source
			*p = nil
		}
	}
	return out
}

func TestFormatExampleLoads(t *testing.T) {
	example := formatExample(t)
	dir := inDir(t)
	must(t, os.WriteFile(filepath.Join(dir, "audio", "stop.wav"), []byte("RIFF"), 0o644))
	ss, err := loadSource(t, example)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 {
		t.Fatalf("%d scenarios", len(ss))
	}
	s := ss[0]
	yes, no := true, false
	bargeIn := 800 * time.Millisecond

	if got := stripPatterns(&s.Turns[0].Expect); !reflect.DeepEqual(got, map[string]string{"matches": "two|2", "not_matches": "sorry", "heard": "book a table"}) {
		t.Errorf("patterns = %v", got)
	}
	want := &Scenario{
		Path: "call.yaml", Name: "book a table", Line: 1,
		Connection: Connection{URL: "ws://127.0.0.1:7880", APIKey: "devkey", APISecret: "devsecret", AgentName: "test-agent"},
		Timeout:    60 * time.Second, TimeoutLine: 7,
		Greeting: &Expect{Reply: &yes, Contains: []string{"welcome"}, Line: 9,
			Lines: map[string]int{"contains": 9}, ContainsLines: []int{9}},
		Turns: []Turn{
			{Index: 0, Line: 11, Name: "ask for a table", Say: "audio/hello.wav", Expect: Expect{
				Reply: &yes, Contains: []string{"table", "tonight"},
				MaxLatency: 2 * time.Second, MaxGap: time.Second, Timeout: 10 * time.Second,
				Line: 13, ContainsLines: []int{15, 15},
				Lines: map[string]int{"reply": 14, "contains": 15, "matches": 16, "not_matches": 17, "heard": 18, "max_latency": 19, "max_gap": 20, "timeout": 21},
			}},
			{Index: 1, Line: 22, Name: "turn 2", Silence: 3 * time.Second, Expect: Expect{Reply: &no, Line: 23, Lines: map[string]int{"reply": 23}}},
			{Index: 2, Line: 24, Name: "turn 3", Text: "Make it eight o'clock", Voice: "en-us", Expect: Expect{Reply: &yes, Line: 24, Lines: map[string]int{}}},
			{Index: 3, Line: 26, Name: "turn 4", Chat: "Actually, three people", Expect: Expect{Reply: &yes, Line: 26, Lines: map[string]int{}}},
			{Index: 4, Line: 27, Name: "turn 5", Say: "audio/stop.wav", BargeIn: &bargeIn, Expect: Expect{
				Reply: &yes, MaxStop: time.Second, Line: 29, Lines: map[string]int{"max_stop": 30}}},
		},
		Expect: CallExpect{States: []string{"listening", "thinking", "speaking"}, AgentTurns: &Range{Min: 4, Max: 6},
			Lines: map[string]int{"states": 32, "agent_turns": 33}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("loaded\n%#v\nwant\n%#v", s, want)
		for i := range min(len(s.Turns), len(want.Turns)) {
			if !reflect.DeepEqual(s.Turns[i], want.Turns[i]) {
				t.Errorf("turn %d:\n%#v\nwant\n%#v", i, s.Turns[i], want.Turns[i])
			}
		}
	}
}

func TestLoadDirectory(t *testing.T) {
	env := func(k string) string { return "v-" + k }
	ss, err := Load([]string{"../../testdata/scenarios"}, env)
	if err != nil {
		t.Fatal(err)
	}
	var names, says []string
	for _, s := range ss {
		names = append(names, s.Name)
		for _, turn := range s.Turns {
			if turn.Say != "" {
				says = append(says, turn.Say)
			}
		}
	}
	// Name order; broken/ is a subdirectory and not searched.
	if want := []string{"book a table", "silence"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}
	if want := []string{"../../testdata/audio/hello.wav", "../../testdata/audio/question.wav"}; !reflect.DeepEqual(says, want) {
		t.Errorf("audio = %q, want %q (resolved against the scenario's directory)", says, want)
	}
	if len(ss) == 2 && len(ss[0].Turns) != 3 {
		t.Errorf("book a table has %d turns, want 3", len(ss[0].Turns))
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// The broken example's messages, as a user sees them, are kept in a
// golden file beside it; go test -update rewrites it.
func TestLoadBrokenExampleReportsEveryProblem(t *testing.T) {
	_, err := Load([]string{"../../testdata/scenarios/broken"}, func(string) string { return "x" })
	got := problems(t, err)
	// One per marked line of the file, in order.
	wantLines := []string{":5:", ":8:", ":11:", ":12:", ":14:", ":15:"}
	if len(got) != len(wantLines) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i, w := range wantLines {
		if !strings.HasPrefix(got[i], "../../testdata/scenarios/broken/broken.yaml"+w) {
			t.Errorf("problem %d = %q, want line %s", i, got[i], w)
		}
	}
	golden := "../../testdata/scenarios/broken/broken.errors"
	text := err.Error() + "\n"
	if *update {
		must(t, os.WriteFile(golden, []byte(text), 0o644))
	}
	want, rerr := os.ReadFile(golden)
	must(t, rerr)
	if text != string(want) {
		t.Errorf("messages:\n%s\nwant (%s; go test -update rewrites it):\n%s", text, golden, want)
	}
}

func TestLoadCollectsAcrossFilesAndPaths(t *testing.T) {
	dir := inDir(t)
	must(t, os.WriteFile("a.yaml", []byte("timeout: 1\n"+turn0), 0o644))
	must(t, os.WriteFile("b.yml", []byte(turn0), 0o644))
	must(t, os.WriteFile("notes.txt", []byte("not a scenario"), 0o644))
	must(t, os.Mkdir("empty", 0o755))
	_, err := Load([]string{dir, "missing.yaml", "notes.txt", "empty"}, testEnv)
	got := problems(t, err)
	want := []string{
		filepath.Join(dir, "a.yaml") + ":1:10: timeout: expected a duration such as 1.5s or 800ms, got 1: add a unit, e.g. 1s",
		"missing.yaml: cannot read it: no such file or directory",
		"notes.txt: not a scenario file: expected a .yaml or .yml file, or a directory of them",
		"empty: the directory holds no .yaml or .yml file (subdirectories are not searched)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadNothing(t *testing.T) {
	inDir(t)
	must(t, os.Mkdir("empty", 0o755))
	for _, paths := range [][]string{nil, {"empty"}} {
		_, err := Load(paths, testEnv)
		if !errors.Is(err, ErrNoScenarios) || errors.Is(err, ErrInvalid) {
			t.Errorf("Load(%q) = %v, want ErrNoScenarios", paths, err)
		}
	}
}

func TestConnectionFromEnvironmentAndFiles(t *testing.T) {
	dir := inDir(t)
	must(t, os.WriteFile("body.json", []byte("{}"), 0o644))
	src := `name: ${WHO:-nobody} calls
connection:
  url: ${LIVEKIT_URL}
  token_file: secret.txt
  room: room-${WHO}
  headers:
    - "Authorization: Bearer ${API_TOKEN}"
    - "X-Trace: ${WHO}"
  data: "@body.json"
  attributes: [a=1, b=2]
  metadata: team=voice
` + turn0
	ss, err := loadSource(t, src)
	if err != nil {
		t.Fatal(err)
	}
	c := ss[0].Connection
	if ss[0].Name != "tester calls" {
		t.Errorf("name = %q", ss[0].Name)
	}
	if c.Token != "s3cret" || c.TokenFile != "secret.txt" {
		t.Errorf("token %q from %q, want the file's one line", c.Token, c.TokenFile)
	}
	wantFlags := []Flag{
		{"url", "ws://127.0.0.1:7880"}, {"token", "s3cret"}, {"room", "room-tester"},
		{"attribute", "a=1"}, {"attribute", "b=2"},
		{"header", "Authorization: Bearer t0k"}, {"header", "X-Trace: tester"},
		{"data", "@body.json"}, {"metadata", "team=voice"},
	}
	if got := c.Flags(); !reflect.DeepEqual(got, wantFlags) {
		t.Errorf("flags = %v\nwant %v", got, wantFlags)
	}
	_ = dir
}

func TestConnectionHMS(t *testing.T) {
	inDir(t)
	must(t, os.WriteFile("hms.key", []byte("k\n"), 0o600))
	ss, err := loadSource(t, "connection:\n  provider: hms\n  api_key: ${HMS_API_KEY}\n  assistant_id: abc\n"+turn0)
	if err != nil {
		t.Fatal(err)
	}
	if got := ss[0].Connection.APIKey; got != "hms-key" {
		t.Errorf("api key = %q", got)
	}
	ss, err = loadSource(t, "connection:\n  provider: hms\n  api_key_file: hms.key\n"+turn0)
	if err != nil {
		t.Fatal(err)
	}
	if got := ss[0].Connection.APIKeyFile; got != "hms.key" {
		t.Errorf("api key file = %q", got)
	}
	// A LiveKit API key is not a secret (its secret is).
	if _, err := loadSource(t, "connection:\n  api_key: devkey\n  api_secret: ${LIVEKIT_API_SECRET}\n"+turn0); err != nil {
		t.Errorf("literal LiveKit API key refused: %v", err)
	}
}

func TestAnchorsAndAliases(t *testing.T) {
	inDir(t)
	src := "turns:\n  - say: audio/hello.wav\n    expect: &quick {max_latency: 1s}\n  - text: again\n    expect: *quick\n"
	ss, err := loadSource(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := ss[0].Turns[1].Expect.MaxLatency; got != time.Second {
		t.Errorf("aliased max_latency = %v", got)
	}
}

func TestSmallForms(t *testing.T) {
	inDir(t)
	must(t, os.WriteFile("headers.txt", []byte("X-A: 1\n"), 0o600))
	src := `greeting:
connection:
  headers: "@headers.txt"
turns:
  - text: "costs $${PRICE}"
  - silence: 2s
`
	ss, err := loadSource(t, src)
	if err != nil {
		t.Fatal(err)
	}
	s := ss[0]
	if s.Greeting == nil || s.Greeting.Reply == nil || !*s.Greeting.Reply || s.Greeting.Line != 1 {
		t.Errorf("an empty greeting = %+v, want a reply expected at line 1", s.Greeting)
	}
	if got := s.Connection.Headers; len(got) != 1 || got[0] != "@headers.txt" {
		t.Errorf("headers = %q", got)
	}
	if got := s.Turns[0]; got.Text != "costs ${PRICE}" || got.Expect.Reply == nil || !*got.Expect.Reply || got.Kind() != "text" {
		t.Errorf("text turn = %+v", got)
	}
	if got := s.Turns[1]; got.Expect.Reply != nil || got.Kind() != "silence" || got.Said() != "(silence 2s)" {
		t.Errorf("silence turn = %+v, want reply unchecked", got)
	}
	if s.Name != "call" || s.Timeout != DefaultTimeout || s.TimeoutLine != 0 {
		t.Errorf("defaults: name %q, timeout %v at line %d", s.Name, s.Timeout, s.TimeoutLine)
	}
}
