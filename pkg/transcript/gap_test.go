package transcript

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/golden"
	"github.com/webcall-cli/webcall/internal/vttcheck"
	"github.com/webcall-cli/webcall/pkg/event"
)

// withGap is the conversation of conversation() with the connection lost
// from 12.1 s to 20.15 s, rejoined, and an agent caption after it.
func withGap() Conversation {
	c := conversation()
	c.Gaps = []Gap{{Start: 12_100 * time.Millisecond, End: 20_150 * time.Millisecond}}
	c.Segments = append(c.Segments, seg("SG_after", SpeakerAgent, 23_000, 24_500, "I am back."))
	return c
}

// A gap is marked in each format, in its place on the call's timeline:
// JSON gaps, a text line, a WebVTT NOTE among the cues.
func TestFileGoldensWithGap(t *testing.T) {
	for _, f := range FileFormats {
		t.Run(string(f), func(t *testing.T) {
			golden.Assert(t, "testdata/file-gap."+string(f), renderFile(t, withGap(), f))
		})
	}
}

func TestGapInEveryFormat(t *testing.T) {
	c := withGap()
	s := compileSchema(t)
	doc := renderFile(t, c, FormatJSON)
	if err := validate(t, s, doc); err != nil {
		t.Fatalf("the document with a gap does not match the schema: %v", err)
	}
	var m struct {
		Gaps []struct{ StartMS, EndMS int64 } `json:"gaps"`
	}
	if err := json.Unmarshal([]byte(strings.NewReplacer("start_ms", "StartMS", "end_ms", "EndMS").Replace(doc)), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Gaps) != 1 || m.Gaps[0].StartMS != 12_100 || m.Gaps[0].EndMS != 20_150 {
		t.Errorf("gaps %+v, want one from 12100 to 20150 ms", m.Gaps)
	}
	if bad := strings.Replace(doc, `"end_ms": 20150`, `"end_ms": -1`, 1); validate(t, s, bad) == nil {
		t.Error("the schema accepts a gap that ends at a negative time")
	}
	// Without a gap the document has no gaps field: files of calls that
	// never lost the connection are as they were.
	if strings.Contains(renderFile(t, conversation(), FormatJSON), `"gaps"`) {
		t.Error("a call without a gap writes gaps")
	}

	if txt := renderFile(t, c, FormatText); !strings.Contains(txt, "[0:12.1] — no connection for 8.1 s —\n[0:23.0] agent: I am back.") {
		t.Errorf("the text file does not mark the gap before the caption after it:\n%s", txt)
	}
	vtt := renderFile(t, c, FormatVTT)
	cues, err := vttcheck.Parse(vtt, vttcheck.Options{RequireVoice: true})
	if err != nil {
		t.Fatalf("not valid WebVTT with a gap: %v\n%s", err, vtt)
	}
	if len(cues) != 6 {
		t.Errorf("%d cues, want the 5 of the conversation and the one after the gap", len(cues))
	}
	if !strings.Contains(vtt, "\nNOTE 00:00:11.788 no connection for 8.1 s\n\nSG_after\n") {
		t.Errorf("the WebVTT file has no NOTE for the gap, on the recording's timeline, before the cue after it:\n%s", vtt)
	}
}

// The status row follows a lost connection through its rejoin: the SDK's
// reconnecting, then each attempt to join again, then the wait for the
// agent in the new room.
func TestStatusRowThroughARejoin(t *testing.T) {
	s := callState{connected: true, agentHere: true, agentState: "speaking"}
	steps := []struct {
		e    event.Event
		want string
	}{
		{event.Event{Type: event.Connection, State: event.ConnReconnecting}, "⠋ reconnecting…  0:00"},
		{event.Event{Type: event.Connection, State: event.ConnLost}, "⠋ reconnecting…  0:00"},
		{event.Event{Type: event.Connection, State: event.ConnRejoining, Attempt: 2, MaxAttempts: 6}, "⠋ rejoining (2/6)…  0:00"},
		{event.Event{Type: event.Connection, State: event.ConnRejoined, GapMS: 8000}, "⠋ waiting for the agent…  0:00"},
		{event.Event{Type: event.AgentJoined}, "⠋ agent initializing…  0:00"},
	}
	for i, st := range steps {
		s.apply(st.e)
		if got := plainText(s.spans(0, "")); got != st.want {
			t.Errorf("after %s %s (step %d): %q, want %q", st.e.Type, st.e.State, i, got, st.want)
		}
	}
}

// After a rejoin the new agent session's segment ids are its own: one an
// earlier session used is a new segment, not a correction of the old one.
func TestNewSessionKeepsReusedIDsApart(t *testing.T) {
	s := NewStore(Options{})
	final := true
	say := func(stream, id, text string) []Change {
		s.OpenStream(at(0), StreamInfo{StreamID: stream, SegmentID: id, Speaker: SpeakerAgent, Identity: "agent-1", Sender: "agent-1"})
		s.AppendStream(at(0), stream, text)
		return s.CloseStream(at(0), stream, &final)
	}
	say("s1", "seg-1", "Before the outage.")
	s.Flush(at(0))
	s.NewSession()
	ch := say("s2", "seg-1", "After the rejoin.")
	if len(ch) != 1 || ch[0].Kind != Final || ch[0].Segment.ID != "seg-1~2" {
		t.Fatalf("changes %+v, want the final of a new segment seg-1~2", ch)
	}
	// The same id again in the same session is that new segment.
	if ch := say("s3", "seg-1", "Corrected after the rejoin."); len(ch) != 1 || ch[0].Kind != Correction || ch[0].Segment.ID != "seg-1~2" {
		t.Errorf("changes %+v, want a correction of seg-1~2", ch)
	}
	say("s4", "seg-2", "A new id keeps its name.")
	var got []string
	for _, seg := range s.Segments() {
		got = append(got, seg.ID+"="+seg.Text)
	}
	want := "seg-1=Before the outage. seg-1~2=Corrected after the rejoin. seg-2=A new id keeps its name."
	if strings.Join(got, " ") != want {
		t.Errorf("segments %q, want %q", got, want)
	}
}
