package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/internal/vttcheck"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
)

// transcriptFiles are one call's --record file and a --transcript file of
// each format, in one directory.
type transcriptFiles struct {
	dir, rec, json, txt, vtt string
}

func newTranscriptFiles(t *testing.T) transcriptFiles {
	dir := t.TempDir()
	return transcriptFiles{dir: dir, rec: filepath.Join(dir, "call.wav"),
		json: filepath.Join(dir, "call.json"), txt: filepath.Join(dir, "call.txt"), vtt: filepath.Join(dir, "call.vtt")}
}

func (f transcriptFiles) args() []string {
	return []string{"--record", f.rec, "--transcript", f.json, "--transcript", f.txt, "--transcript", f.vtt}
}

// onlyThese fails unless the directory holds exactly the call's files:
// none missing, no temporary file left from an interrupted write.
func (f transcriptFiles) onlyThese(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"call.json", "call.txt", "call.vtt", "call.wav"}; !slices.Equal(names, want) {
		t.Errorf("the directory holds %v, want %v", names, want)
	}
}

// transcriptDoc is the JSON transcript file, as a program reads it.
type transcriptDoc struct {
	V        int    `json:"v"`
	Room     string `json:"room"`
	CallID   string `json:"call_id"`
	Identity string `json:"identity"`
	Agent    *struct {
		Identity string `json:"identity"`
		Name     string `json:"name"`
	} `json:"agent"`
	StartedAt    time.Time `json:"started_at"`
	DurationMS   int64     `json:"duration_ms"`
	AudioStartMS int64     `json:"audio_start_ms"`
	End          struct {
		Reason  string `json:"reason"`
		Outcome string `json:"outcome"`
		Error   *struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"end"`
	Segments []docSegment `json:"segments"`
	Gaps     []struct {
		StartMS int64 `json:"start_ms"`
		EndMS   int64 `json:"end_ms"`
	} `json:"gaps"`
	Chat []struct {
		AtMS int64  `json:"at_ms"`
		Text string `json:"text"`
	} `json:"chat"`
}

type docSegment struct {
	ID       string `json:"id"`
	Speaker  string `json:"speaker"`
	Identity string `json:"identity"`
	StartMS  int64  `json:"start_ms"`
	EndMS    int64  `json:"end_ms"`
	Text     string `json:"text"`
}

// speakerSegments are the document's segments of one speaker.
func (d transcriptDoc) speakerSegments(speaker string) []docSegment {
	var out []docSegment
	for _, s := range d.Segments {
		if s.Speaker == speaker {
			out = append(out, s)
		}
	}
	return out
}

// readTranscriptJSON reads the JSON transcript, checked against the
// schema in the repository, and the rules the schema cannot state: start
// before end, in order, within the call.
func readTranscriptJSON(t *testing.T, path string) transcriptDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the JSON transcript: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile(filepath.Join("..", "..", "schema", "transcript.schema.json"))
	if err != nil {
		t.Fatalf("compile the schema: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("the JSON transcript is not JSON: %v\n%s", err, data)
	}
	if err := schema.Validate(v); err != nil {
		t.Fatalf("the JSON transcript does not match schema/transcript.schema.json: %v\n%s", err, data)
	}
	var doc transcriptDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for i, s := range doc.Segments {
		if s.EndMS < s.StartMS || s.EndMS > doc.DurationMS {
			t.Errorf("segment %s runs from %d to %d ms, in a call of %d ms", s.ID, s.StartMS, s.EndMS, doc.DurationMS)
		}
		if i > 0 && s.StartMS < doc.Segments[i-1].StartMS {
			t.Errorf("segment %s is listed after one that starts later", s.ID)
		}
	}
	if doc.AudioStartMS <= 0 || doc.AudioStartMS > doc.DurationMS {
		t.Errorf("audio_start_ms %d in a call of %d ms", doc.AudioStartMS, doc.DurationMS)
	}
	return doc
}

// readTranscriptVTT reads the WebVTT transcript, checked against the
// format's rules, and checks that each cue is its segment of the JSON
// transcript on the recording's timeline.
func readTranscriptVTT(t *testing.T, path string, doc transcriptDoc) []vttcheck.Cue {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the WebVTT transcript: %v", err)
	}
	cues, err := vttcheck.Parse(string(data), vttcheck.Options{RequireVoice: true})
	if err != nil {
		t.Fatalf("the WebVTT transcript breaks the rules: %v\n%s", err, data)
	}
	if len(cues) != len(doc.Segments) {
		t.Fatalf("%d cues for %d segments:\n%s", len(cues), len(doc.Segments), data)
	}
	for i, c := range cues {
		s := doc.Segments[i]
		want := time.Duration(max(s.StartMS-doc.AudioStartMS, 0)) * time.Millisecond
		if c.ID != s.ID || c.Voice != s.Speaker || c.Text != s.Text || c.Start != want {
			t.Errorf("cue %d: %s %s %q from %s; want segment %s %s %q from %s (start_ms - audio_start_ms)",
				i, c.ID, c.Voice, c.Text, c.Start, s.ID, s.Speaker, s.Text, want)
		}
	}
	return cues
}

// gapLine is the text file's mark of a gap in the connection.
var gapLine = regexp.MustCompile(`^\[\d+:\d\d\.\d\] — no connection for \d+\.\d s —$`)

var txtLine = regexp.MustCompile(`^\[(\d+):(\d\d)\.(\d)\] (you|agent)( \(chat\))?: (.+)$`)

// checkTranscriptTxt checks the text transcript: one line per segment,
// "[m:ss.d] who: text", its time the segment's start.
func checkTranscriptTxt(t *testing.T, path string, doc transcriptDoc) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the text transcript: %v", err)
	}
	var lines []string
	gaps, chat := 0, 0
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		switch m := txtLine.FindStringSubmatch(l); {
		case gapLine.MatchString(l):
			gaps++
		case m != nil && m[5] != "":
			chat++
		default:
			lines = append(lines, l)
		}
	}
	if gaps != len(doc.Gaps) || chat != len(doc.Chat) {
		t.Errorf("%d lines mark a gap and %d are chat; the JSON has %d gaps and %d chat messages:\n%s", gaps, chat, len(doc.Gaps), len(doc.Chat), data)
	}
	if len(lines) != len(doc.Segments) {
		t.Fatalf("%d lines for %d segments:\n%s", len(lines), len(doc.Segments), data)
	}
	for i, l := range lines {
		m := txtLine.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("line %d is not \"[m:ss.d] who: text\": %q", i+1, l)
			continue
		}
		s := doc.Segments[i]
		min, _ := strconv.Atoi(m[1])
		sec, _ := strconv.Atoi(m[2])
		tenth, _ := strconv.Atoi(m[3])
		who := map[string]string{event.SpeakerUser: "you", event.SpeakerAgent: "agent"}[s.Speaker]
		if tenths := int64(min*600 + sec*10 + tenth); tenths != s.StartMS/100 || m[4] != who || m[6] != s.Text {
			t.Errorf("line %d %q, want segment %s at %d ms: %s: %s", i+1, l, s.ID, s.StartMS, who, s.Text)
		}
	}
}

// How far the agent's first cue may be from the start of its speech in
// the recording's right channel. The caption is meant to trail the voice:
// LiveKit Agents, and the test agent (replyTextDelay), open the caption
// stream about 130 ms into the reply's audio (reply.wav's speech starts
// 10 ms in). The audio then travels slower than the text (Opus framing,
// the receiver's jitter buffer: tens of ms on loopback), which pulls the
// cue towards the voice, and the recorder places received audio at the
// next frame it writes, up to two 20 ms frames late, pulling it back.
// So the cue lands some 50 to 150 ms after the voice (110 to 220 ms
// measured here, the higher under load). The window allows for a loaded
// machine. What it guards is that audio_start_ms is truly the recording's
// first sample and that a cue marks the start of its speech: a cue at the
// caption's end would be seconds late. (That each cue is its segment
// moved back by audio_start_ms is checked exactly, in readTranscriptVTT:
// audio_start_ms, the connection setup, is 200 to 900 ms here, too close
// to this window to be told apart by it alone.)
const (
	cueEarliest = -100 * time.Millisecond
	cueLatest   = 350 * time.Millisecond
)

// checkCuesLineUp checks the WebVTT captions against the recording: the
// agent's first cue starts with its voice in the right channel, and the
// user's first cue (the agent's speech recognition, which hears the
// speech first) after the user's voice in the left channel.
func checkCuesLineUp(t *testing.T, f transcriptFiles, doc transcriptDoc, cues []vttcheck.Cue) {
	t.Helper()
	left, right := recordingChannels(t, f.rec)
	audioStart := time.Duration(doc.AudioStartMS) * time.Millisecond
	firstCue := func(voice string) (vttcheck.Cue, bool) {
		for _, c := range cues {
			if c.Voice == voice {
				return c, true
			}
		}
		return vttcheck.Cue{}, false
	}
	agentCue, ok := firstCue(event.SpeakerAgent)
	if !ok {
		t.Fatal("no agent cue")
	}
	agentVoice, ok := speechOnset(right)
	if !ok {
		t.Fatal("no agent speech in the recording's right channel")
	}
	if d := agentCue.Start - agentVoice; d < cueEarliest || d > cueLatest {
		t.Errorf("the agent's first cue starts at %s, its voice in the recording at %s (%+d ms, want %d to %+d ms)",
			agentCue.Start, agentVoice, d.Milliseconds(), cueEarliest.Milliseconds(), cueLatest.Milliseconds())
	} else {
		t.Logf("the agent's first cue starts %+d ms from its voice in the recording, which began %s into the call", d.Milliseconds(), audioStart)
	}
	userCue, ok := firstCue(event.SpeakerUser)
	if !ok {
		t.Fatal("no user cue")
	}
	userVoice, ok := speechOnset(left)
	if !ok {
		t.Fatal("no user speech in the recording's left channel")
	}
	if userCue.Start <= userVoice {
		t.Errorf("the user's first cue starts at %s, before the user's voice in the recording at %s", userCue.Start, userVoice)
	}
}

// TestTranscriptFilesAfterTheCall: a call that ends by itself leaves a
// JSON transcript that matches its schema and the call's events, a text
// transcript, and WebVTT captions that follow the format's rules and line
// up with the --record file.
func TestTranscriptFilesAfterTheCall(t *testing.T) {
	inParallel(t)
	e := startE2E(t, testagent.Options{})
	f := newTranscriptFiles(t)
	before := time.Now()
	r := e.call(t, context.Background(), append([]string{"--format", "json"}, f.args()...)...)
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", r.code, r.stderr)
	}
	evs := parseEvents(t, r.stdout)
	doc := readTranscriptJSON(t, f.json)

	// The call's details, as the events told them.
	byType := map[event.Type]event.Event{}
	for _, ev := range slices.Backward(evs) {
		byType[ev.Type] = ev // the first of each type
	}
	conn, joined, stats := byType[event.Connected], byType[event.AgentJoined], byType[event.Stats]
	if doc.V != 1 || doc.Room != conn.Room || doc.Identity != conn.Identity || doc.Agent == nil ||
		doc.Agent.Identity != joined.Identity || doc.Agent.Name != joined.Name {
		t.Errorf("details v%d room %q identity %q agent %+v; the events say room %q identity %q agent %q (%q)",
			doc.V, doc.Room, doc.Identity, doc.Agent, conn.Room, conn.Identity, joined.Identity, joined.Name)
	}
	if stats.Stats == nil || doc.DurationMS != stats.Stats.DurationMS {
		t.Errorf("duration_ms %d, the stats event says %+v", doc.DurationMS, stats.Stats)
	}
	if doc.StartedAt.Before(before.Add(-time.Second)) || doc.StartedAt.After(before.Add(30*time.Second)) {
		t.Errorf("started_at %s, the test started the call at %s", doc.StartedAt, before)
	}
	if doc.AudioStartMS < conn.TimeMS {
		t.Errorf("audio_start_ms %d before the connection at %d ms", doc.AudioStartMS, conn.TimeMS)
	}
	if doc.End.Outcome != "completed" || doc.End.Error != nil || !strings.Contains(doc.End.Reason, "reply is over") {
		t.Errorf("end %+v, want completed because the reply is over", doc.End)
	}

	// The segments: the user's words, then the agent's reply, each once,
	// timed as the captions arrived.
	user, agent := doc.speakerSegments(event.SpeakerUser), doc.speakerSegments(event.SpeakerAgent)
	if len(user) != 1 || user[0].Text != heard || user[0].Identity != conn.Identity {
		t.Fatalf("user segments %+v, want one %q by %s", user, heard, conn.Identity)
	}
	if len(agent) != 1 || agent[0].Text != replyText || agent[0].Identity != joined.Identity {
		t.Fatalf("agent segments %+v, want one %q by %s", agent, replyText, joined.Identity)
	}
	if agent[0].StartMS < user[0].EndMS {
		t.Errorf("the agent's reply starts at %d ms, before the user's words were settled at %d ms", agent[0].StartMS, user[0].EndMS)
	}
	var firstText, final event.Event
	for _, ev := range evs {
		if ev.Type == event.Transcript && ev.Speaker == event.SpeakerAgent {
			if firstText.Type == "" {
				firstText = ev
			}
			if *ev.Final {
				final = ev
			}
		}
	}
	// The segment begins when its stream opened, with its first words; it
	// ends when the stream closed, with the final caption. The events are
	// stamped when printed, a moment after.
	if d := firstText.TimeMS - agent[0].StartMS; d < 0 || d > 1000 {
		t.Errorf("the agent's segment starts at %d ms, its first words were printed at %d ms", agent[0].StartMS, firstText.TimeMS)
	}
	if d := final.TimeMS - agent[0].EndMS; d < 0 || d > 1000 {
		t.Errorf("the agent's segment ends at %d ms, its final caption was printed at %d ms", agent[0].EndMS, final.TimeMS)
	}
	// It lasts as long as the reply is played, within the caption's late
	// start and the playout's last frame.
	reply, err := audio.LoadFile(repoFile("audio", "reply.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(agent[0].EndMS-agent[0].StartMS) * time.Millisecond; d < reply.Duration()-time.Second || d > reply.Duration()+time.Second {
		t.Errorf("the agent's segment lasts %s, the reply %s", d, reply.Duration())
	}

	checkTranscriptTxt(t, f.txt, doc)
	cues := readTranscriptVTT(t, f.vtt, doc)
	checkCuesLineUp(t, f, doc, cues)
	f.onlyThese(t)
	if !strings.Contains(r.stderr, "wrote "+f.vtt) {
		t.Errorf("stderr does not say the transcript was written:\n%s", r.stderr)
	}
}

// TestTranscriptFilesWhenCutShort: a call cut off in the middle of the
// agent's reply, by Ctrl-C, by SIGTERM or by losing the room, still
// leaves whole transcript files: what was said until then, the reply cut
// where its captions stopped, and how the call ended.
func TestTranscriptFilesWhenCutShort(t *testing.T) {
	inParallel(t)
	e := startE2E(t, testagent.Options{})
	signal := func(sig syscall.Signal) func(*exec.Cmd, string) error {
		return func(cmd *exec.Cmd, _ string) error { return cmd.Process.Signal(sig) }
	}
	rooms := lksdk.NewRoomServiceClient(e.srv.HTTPURL, e.srv.APIKey, e.srv.APISecret)
	// Its requests go through net/http's pool, whose kept-alive
	// connection must go before the leak check.
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	for _, c := range []struct {
		name    string
		cut     func(cmd *exec.Cmd, room string) error
		code    int
		outcome string
		kind    string
	}{
		{"SIGINT", signal(syscall.SIGINT), exitInterrupted, "interrupted", "interrupted"},
		{"SIGTERM", signal(syscall.SIGTERM), exitTerminated, "interrupted", "terminated"},
		{"room deleted", func(_ *exec.Cmd, room string) error {
			_, err := rooms.DeleteRoom(context.Background(), &livekit.DeleteRoomRequest{Room: room})
			return err
		}, exitConnect, "failed", "connect"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newTranscriptFiles(t)
			r := e.callCutInReply(t, c.cut, append([]string{"--format", "json"}, f.args()...)...)
			if r.code != c.code {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, c.code, r.stderr)
			}
			doc := readTranscriptJSON(t, f.json)
			if doc.End.Outcome != c.outcome || doc.End.Error == nil || doc.End.Error.Kind != c.kind {
				t.Errorf("end %+v, want outcome %s with an error of kind %s", doc.End, c.outcome, c.kind)
			}
			user, agent := doc.speakerSegments(event.SpeakerUser), doc.speakerSegments(event.SpeakerAgent)
			if len(user) != 1 || user[0].Text != heard {
				t.Errorf("user segments %+v, want one %q", user, heard)
			}
			if len(agent) != 1 || agent[0].Text == "" || len(agent[0].Text) >= len(replyText) || !strings.HasPrefix(replyText, agent[0].Text) {
				t.Fatalf("agent segments %+v, want one with the start of %q", agent, replyText)
			}
			if agent[0].EndMS > doc.DurationMS {
				t.Errorf("the cut reply ends at %d ms, after the call's end at %d ms", agent[0].EndMS, doc.DurationMS)
			}
			checkTranscriptTxt(t, f.txt, doc)
			cues := readTranscriptVTT(t, f.vtt, doc)
			checkCuesLineUp(t, f, doc, cues)
			f.onlyThese(t)
			noStackTrace(t, r)
		})
	}
}

// callCutInReply runs a call and cuts it with cut as soon as the agent's
// first words are printed (the reply has begun and has seconds to go),
// and returns how the process ended.
func (e *e2e) callCutInReply(t *testing.T, cut func(cmd *exec.Cmd, room string) error, args ...string) result {
	t.Helper()
	var room string
	r, cutDone := e.callWatching(t, context.Background(), func(cmd *exec.Cmd, line []byte) bool {
		var ev event.Event
		if json.Unmarshal(line, &ev) != nil {
			return false
		}
		if ev.Type == event.Connected {
			room = ev.Room
		}
		if ev.Type != event.Transcript || ev.Speaker != event.SpeakerAgent {
			return false
		}
		if err := cut(cmd, room); err != nil {
			t.Errorf("cut the call: %v", err)
		}
		return true
	}, args...)
	if !cutDone {
		t.Fatalf("the call ended before the agent's reply was printed:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	return r
}
