package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/webcall-cli/webcall/internal/golden"
	"github.com/webcall-cli/webcall/internal/vttcheck"
)

var callStart = time.Date(2026, 12, 2, 3, 4, 5, 678_000_000, time.UTC)

func at(ms int) time.Time { return callStart.Add(time.Duration(ms) * time.Millisecond) }

func seg(id string, sp Speaker, startMS, endMS int, text string) Segment {
	identity := "caller"
	if sp == SpeakerAgent {
		identity = "agent-AJ_x"
	}
	return Segment{ID: id, Speaker: sp, Identity: identity, Text: text, Final: true, Started: at(startMS), Updated: at(endMS)}
}

// conversation is a call with what the files must handle: segments listed
// out of time order (the Store lists by first text, the files by start), an
// interim that must not be written, a segment without text, text that is
// markup and "-->" to WebVTT, a line break, an escape sequence, a segment
// of no length (its final alone), a segment id that cannot be a cue
// identifier, and chat both ways between the captions.
func conversation() Conversation {
	return Conversation{
		Room:          "call-7f3a",
		CallID:        "c-42",
		Identity:      "webcall-1",
		AgentIdentity: "agent-AJ_x",
		AgentName:     "Ava",
		Start:         callStart,
		Duration:      63_480 * time.Millisecond,
		AudioStart:    312 * time.Millisecond,
		End:           Ending{Reason: "the agent's reply is over", Outcome: OutcomeCompleted},
		Segments: []Segment{
			seg("SG_user1", SpeakerUser, 2_140, 3_900, "Hello, I would like to book a table."),
			seg("SG_agent1", SpeakerAgent, 1_020, 1_980, " Welcome!  How can I help?"),
			seg("SG_agent2", SpeakerAgent, 4_700, 9_260, "Sure: <b>two</b> & a view --> the sea,\nat 8?"),
			{ID: "SG_interim", Speaker: SpeakerUser, Identity: "caller", Text: "and a", Started: at(9_900), Updated: at(10_100)},
			seg("SG_empty", SpeakerAgent, 9_950, 9_950, "  "),
			seg("SG_user2", SpeakerUser, 11_400, 11_400, "Yes\x1b[2J please."),
			seg("odd --> id", SpeakerAgent, 61_000, 63_480, "Done, it was cut"),
		},
		Chat: []ChatLine{
			{At: 10_500 * time.Millisecond, Speaker: SpeakerUser, Identity: "webcall-1", Text: "window seat\nplease"},
			{At: 10_000 * time.Millisecond, Speaker: SpeakerAgent, Identity: "agent-AJ_x", Text: "Any wishes?"},
		},
	}
}

func renderFile(t *testing.T, c Conversation, f FileFormat) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Write(&b, f); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestFileGoldens(t *testing.T) {
	for _, f := range FileFormats {
		t.Run(string(f), func(t *testing.T) {
			golden.Assert(t, "testdata/file-conversation."+string(f), renderFile(t, conversation(), f))
		})
	}
}

// A call cut short says how, and keeps what was said until then.
func TestFileGoldenInterrupted(t *testing.T) {
	c := conversation()
	c.End = Ending{Reason: "hung up", Outcome: OutcomeInterrupted, ErrorKind: "interrupted", Error: "hung up by Ctrl-C"}
	c.Segments, c.Chat = c.Segments[:2], nil
	golden.Assert(t, "testdata/file-interrupted.json", renderFile(t, c, FormatJSON))
}

// schemaPath is the transcript file's JSON Schema, kept in the repository.
const schemaPath = "../../schema/transcript.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc string) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	return s.Validate(v)
}

// TestJSONMatchesSchema: what WriteJSON writes is valid for every ending,
// and the schema is strict enough to refuse documents that break it.
func TestJSONMatchesSchema(t *testing.T) {
	s := compileSchema(t)
	interrupted := conversation()
	interrupted.End = Ending{Reason: "hung up", Outcome: OutcomeInterrupted, ErrorKind: "interrupted", Error: "hung up by Ctrl-C"}
	noAgent := Conversation{Room: "r", Identity: "me", Start: callStart, End: Ending{Reason: "no agent", Outcome: OutcomeFailed, ErrorKind: "no_agent", Error: "no agent joined"}}
	for name, c := range map[string]Conversation{"completed": conversation(), "interrupted": interrupted, "no agent": noAgent} {
		if err := validate(t, s, renderFile(t, c, FormatJSON)); err != nil {
			t.Errorf("%s: the document does not match the schema: %v", name, err)
		}
	}

	good := renderFile(t, conversation(), FormatJSON)
	breakDoc := func(change func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(good), &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	firstSegment := func(m map[string]any) map[string]any { return m["segments"].([]any)[0].(map[string]any) }
	bad := map[string]string{
		"another version":    breakDoc(func(m map[string]any) { m["v"] = 2 }),
		"no room":            breakDoc(func(m map[string]any) { delete(m, "room") }),
		"an unknown field":   breakDoc(func(m map[string]any) { m["extra"] = true }),
		"a time that is not": breakDoc(func(m map[string]any) { m["started_at"] = "yesterday" }),
		"completed with error": breakDoc(func(m map[string]any) {
			m["end"].(map[string]any)["error"] = map[string]any{"kind": "x", "message": "y"}
		}),
		"failed without error": breakDoc(func(m map[string]any) { m["end"].(map[string]any)["outcome"] = "failed" }),
		"an unknown outcome":   breakDoc(func(m map[string]any) { m["end"].(map[string]any)["outcome"] = "fine" }),
		"a third speaker":      breakDoc(func(m map[string]any) { firstSegment(m)["speaker"] = "narrator" }),
		"a negative start":     breakDoc(func(m map[string]any) { firstSegment(m)["start_ms"] = -5 }),
		"a segment without id": breakDoc(func(m map[string]any) { delete(firstSegment(m), "id") }),
		"a fractional time":    breakDoc(func(m map[string]any) { firstSegment(m)["end_ms"] = 1.5 }),
	}
	for name, doc := range bad {
		if validate(t, s, doc) == nil {
			t.Errorf("the schema accepts a document with %s", name)
		}
	}
}

// TestJSONContent checks what the golden file shows, as data: only final
// segments with text, in order of start, times from the call's time zero,
// end never before start, and chat in time order.
func TestJSONContent(t *testing.T) {
	var doc struct {
		V         int    `json:"v"`
		StartedAt string `json:"started_at"`
		Segments  []struct {
			ID      string `json:"id"`
			StartMS int64  `json:"start_ms"`
			EndMS   int64  `json:"end_ms"`
			Text    string `json:"text"`
		} `json:"segments"`
		Chat []struct {
			AtMS int64  `json:"at_ms"`
			Text string `json:"text"`
		} `json:"chat"`
	}
	if err := json.Unmarshal([]byte(renderFile(t, conversation(), FormatJSON)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.V != FileVersion || doc.StartedAt != "2026-12-02T03:04:05.678Z" {
		t.Errorf("v %d, started_at %q", doc.V, doc.StartedAt)
	}
	var ids []string
	for i, s := range doc.Segments {
		ids = append(ids, s.ID)
		if s.EndMS < s.StartMS {
			t.Errorf("segment %s ends at %d, before its start %d", s.ID, s.EndMS, s.StartMS)
		}
		if i > 0 && s.StartMS < doc.Segments[i-1].StartMS {
			t.Errorf("segment %s starts before the one listed before it", s.ID)
		}
	}
	if got, want := strings.Join(ids, " "), "SG_agent1 SG_user1 SG_agent2 SG_user2 odd --> id"; got != want {
		t.Errorf("segments %q, want %q", got, want)
	}
	if s := doc.Segments[0]; s.StartMS != 1020 || s.EndMS != 1980 || s.Text != "Welcome! How can I help?" {
		t.Errorf("first segment %+v", s)
	}
	if len(doc.Chat) != 2 || doc.Chat[0].AtMS != 10_000 || doc.Chat[1].Text != "window seat\nplease" {
		t.Errorf("chat %+v", doc.Chat)
	}
}

// TestVTTRules: the captions follow the WebVTT rules, and each cue is its
// segment moved onto the recording's timeline.
func TestVTTRules(t *testing.T) {
	c := conversation()
	cues, err := vttcheck.Parse(renderFile(t, c, FormatVTT), vttcheck.Options{RequireVoice: true})
	if err != nil {
		t.Fatalf("not valid WebVTT: %v", err)
	}
	want := []struct {
		id, voice, text string
		start, end      time.Duration
	}{
		// 960 ms long: shown for MinCueDuration.
		{"SG_agent1", "agent", "Welcome! How can I help?", 708 * time.Millisecond, 1708 * time.Millisecond},
		{"SG_user1", "user", "Hello, I would like to book a table.", 1828 * time.Millisecond, 3588 * time.Millisecond},
		{"SG_agent2", "agent", "Sure: <b>two</b> & a view --> the sea, at 8?", 4388 * time.Millisecond, 8948 * time.Millisecond},
		// A final alone, of no length. The escape character is dropped,
		// what followed it is harmless text.
		{"SG_user2", "user", "Yes[2J please.", 11088 * time.Millisecond, 12088 * time.Millisecond},
		{"", "agent", "Done, it was cut", 60688 * time.Millisecond, 63168 * time.Millisecond},
	}
	if len(cues) != len(want) {
		t.Fatalf("%d cues, want %d: %+v", len(cues), len(want), cues)
	}
	for i, w := range want {
		got := cues[i]
		if got.ID != w.id || got.Voice != w.voice || got.Text != w.text || got.Start != w.start || got.End != w.end {
			t.Errorf("cue %d: got %+v, want %+v", i, got, w)
		}
	}
}

// A segment that began before the recording's first sample (the recording
// starts once the microphone is published) starts at the recording's
// start, never at a negative time.
func TestVTTBeforeTheRecording(t *testing.T) {
	c := Conversation{Start: callStart, AudioStart: 2 * time.Second, Segments: []Segment{seg("a", SpeakerAgent, 1_500, 2_400, "early")}}
	cues, err := vttcheck.Parse(renderFile(t, c, FormatVTT), vttcheck.Options{RequireVoice: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(cues) != 1 || cues[0].Start != 0 || cues[0].End != MinCueDuration {
		t.Errorf("cues %+v, want one from 0 to %s", cues, MinCueDuration)
	}
}

func TestEmptyConversation(t *testing.T) {
	c := Conversation{Room: "r", Identity: "me", Start: callStart}
	if got := renderFile(t, c, FormatVTT); got != "WEBVTT\n" {
		t.Errorf("VTT %q", got)
	}
	if got := renderFile(t, c, FormatText); got != "" {
		t.Errorf("text %q", got)
	}
	if err := validate(t, compileSchema(t), renderFile(t, c, FormatJSON)); err != nil {
		t.Errorf("JSON: %v", err)
	}
}

func TestClockTenths(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                         "0:00.0",
		3_299 * time.Millisecond:  "0:03.2",
		61_050 * time.Millisecond: "1:01.0",
		time.Hour + 2*time.Minute + 3*time.Second: "1:02:03.0",
	} {
		if got := clockTenths(d); got != want {
			t.Errorf("clockTenths(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]FileFormat{"a.json": FormatJSON, "dir/b.TXT": FormatText, "c.d.vtt": FormatVTT} {
		if got, err := FormatOf(path); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"a.srt", "transcript", "a.json.bak", "dir.vtt/"} {
		if _, err := FormatOf(path); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("FormatOf(%q): %v, want ErrUnknownFormat", path, err)
		}
	}
}

func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
	}{
		{filepath.Join(dir, "t.srt"), "unknown transcript file format"},
		{filepath.Join(dir, "missing", "t.json"), "does not exist"},
		{filepath.Join(file, "t.json"), "is not a directory"},
		{filepath.Join(dir, "sub.json"), "is a directory"},
	}
	for _, tt := range tests {
		err := CheckFile(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckFile(%q) = %v, want an error saying %q", tt.path, err, tt.want)
		}
	}
	if err := CheckFile(filepath.Join(dir, "t.vtt")); err != nil {
		t.Errorf("a writable place: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("CheckFile left files behind: %v", entries)
	}
}

func TestCheckFileUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if err := CheckFile(filepath.Join(dir, "t.json")); err == nil || !strings.Contains(err.Error(), "no permission") {
		t.Errorf("CheckFile in a read-only directory: %v", err)
	}
}

// WriteFile replaces a file whole and leaves no temporary file behind.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "call.txt")
	if err := os.WriteFile(path, []byte("old and longer than the new text, much longer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, conversation()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != renderFile(t, conversation(), FormatText) {
		t.Errorf("the file holds:\n%s", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left in the directory: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "call.doc"), conversation()); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("an unknown format: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("an unknown format left a file: %v", entries)
	}
}
