package transcript

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/vttcheck"
)

// agentSays plays one agent utterance: a stream on segment id, written
// and closed, which makes the segment final. It returns the close's
// changes.
func agentSays(s *Store, now time.Time, id, text string) []Change {
	stream := "st-" + id + "-" + strconv.FormatInt(now.UnixNano(), 36)
	s.OpenStream(now, StreamInfo{StreamID: stream, SegmentID: id, Speaker: SpeakerAgent, Identity: "agent", Sender: "agent"})
	s.AppendStream(now, stream, text)
	return s.CloseStream(now, stream, nil)
}

// checkHeld fails unless the store's maps hold no more than max entries.
func checkHeld(t *testing.T, s *Store, max int) {
	t.Helper()
	if len(s.segments) > max || len(s.order) > max || len(s.streams) > max || len(s.renamed) > max {
		t.Errorf("store holds %d segments (%d listed), %d streams, %d renamed ids; bound %d", len(s.segments), len(s.order), len(s.streams), len(s.renamed), max)
	}
}

// TestStoreKeepsAtMostMaxSegments: a call of 100,000 segments in a store
// bounded at 1000 keeps the last 1000, counts the 99,000 others, and an
// interim segment older than all of them stays.
func TestStoreKeepsAtMostMaxSegments(t *testing.T) {
	defer leaktest.Check(t)()
	s := NewStore(Options{MaxSegments: 1000})
	t0 := time.Unix(1_700_000_000, 0)
	// The user starts speaking before everything else and is never done.
	s.OpenStream(t0, StreamInfo{StreamID: "u1", SegmentID: "user-1", Speaker: SpeakerUser, Identity: "caller", Sender: "agent"})
	if ch := s.AppendStream(t0, "u1", "still talking"); len(ch) != 1 || ch[0].Kind != Interim {
		t.Fatalf("user interim: %+v", ch)
	}
	started := time.Now()
	const n = 100_000
	for i := range n {
		now := t0.Add(time.Duration(i+1) * time.Millisecond)
		if ch := agentSays(s, now, "g"+strconv.Itoa(i), "word "+strconv.Itoa(i)); len(ch) != 1 || ch[0].Kind != Final {
			t.Fatalf("segment %d: %+v", i, ch)
		}
		if i%997 == 0 {
			checkHeld(t, s, 1000)
		}
	}
	t.Logf("%d segments through a store of 1000 in %v", n, time.Since(started).Round(time.Millisecond))

	segs := s.Segments()
	if len(segs) != 1000 {
		t.Fatalf("%d segments kept, want 1000", len(segs))
	}
	// n+1 segments in all, the interim one among the 1000 kept.
	if got := s.Dropped(); got != n+1-1000 {
		t.Errorf("Dropped %d, want %d", got, n+1-1000)
	}
	if segs[0].ID != "user-1" || segs[0].Final || segs[0].Text != "still talking" {
		t.Errorf("first segment kept %+v, want the user's interim", segs[0])
	}
	for i, sg := range segs[1:] {
		if want := "g" + strconv.Itoa(n-999+i); sg.ID != want || !sg.Final {
			t.Fatalf("segment %d kept is %q (final %v), want %q: the newest, in order", i+1, sg.ID, sg.Final, want)
		}
	}
	checkHeld(t, s, 1000)

	// The interim one is still live: its stream settles it.
	end := t0.Add(time.Hour)
	final := true
	if ch := s.CloseStream(end, "u1", &final); len(ch) != 1 || ch[0].Kind != Final || ch[0].Segment.Text != "still talking" {
		t.Errorf("closing the user's stream: %+v", ch)
	}
	if ch := s.Flush(end); len(ch) != 0 {
		t.Errorf("Flush of a settled store: %+v", ch)
	}
}

// TestStoreDroppedIDStartsANewSegment: an id the agent uses again after
// its segment was let go begins a new segment (Final, not a Correction,
// listed last, starting now), and leaves nothing of the old one behind,
// renamed session ids included.
func TestStoreDroppedIDStartsANewSegment(t *testing.T) {
	defer leaktest.Check(t)()
	s := NewStore(Options{MaxSegments: 3})
	t0 := time.Unix(1_700_000_000, 0)
	agentSays(s, t0, "1", "first session")
	s.Flush(t0)
	s.NewSession()
	t1 := t0.Add(time.Second)
	if ch := agentSays(s, t1, "1", "second session"); len(ch) != 1 || ch[0].Segment.ID != "1~2" {
		t.Fatalf("id of the second session: %+v", ch)
	}
	for i := range 3 {
		agentSays(s, t1.Add(time.Duration(i+1)*time.Second), "x"+strconv.Itoa(i), "filler")
	}
	if got := ids(s.Segments()); fmt.Sprint(got) != "[x0 x1 x2]" || s.Dropped() != 2 {
		t.Fatalf("kept %v, %d dropped; want the three newest, 2 dropped", got, s.Dropped())
	}
	checkHeld(t, s, 3)
	if len(s.renamed) != 0 {
		t.Errorf("renamed ids of segments let go are kept: %v", s.renamed)
	}

	t2 := t1.Add(time.Minute)
	ch := agentSays(s, t2, "1", "again")
	if len(ch) != 1 || ch[0].Kind != Final || ch[0].Segment.Text != "again" || !ch[0].Segment.Started.Equal(t2) {
		t.Fatalf("id used again: %+v, want a new final segment started at %v", ch, t2)
	}
	segs := s.Segments()
	if last := segs[len(segs)-1]; last.ID != ch[0].Segment.ID || last.Text != "again" {
		t.Errorf("the new segment is not listed last: %v", ids(segs))
	}

	// A legacy segment too: its id comes back as a new segment.
	l := NewStore(Options{MaxSegments: 2, LegacyGrace: -1})
	l.Legacy(t0, "agent", LegacySegment{ID: "a", Speaker: SpeakerAgent, Identity: "agent", Text: "old", Final: true})
	l.Legacy(t0, "agent", LegacySegment{ID: "b", Speaker: SpeakerAgent, Identity: "agent", Text: "b", Final: true})
	l.Legacy(t0, "agent", LegacySegment{ID: "c", Speaker: SpeakerAgent, Identity: "agent", Text: "c", Final: true})
	got := l.Legacy(t1, "agent", LegacySegment{ID: "a", Speaker: SpeakerAgent, Identity: "agent", Text: "new", Final: true})
	if len(got) != 1 || got[0].Kind != Final || got[0].Segment.Text != "new" {
		t.Errorf("legacy id used again: %+v, want a new final segment", got)
	}
	if fmt.Sprint(ids(l.Segments())) != "[legacy:c legacy:a]" || l.Dropped() != 2 {
		t.Errorf("legacy segments kept %v, %d dropped", ids(l.Segments()), l.Dropped())
	}
}

// TestStoreBoundsOpenStreams: an agent that opens streams and never closes
// them, with text or without, cannot make the store grow: past the bound
// the oldest go even though they are not final, their streams with them.
func TestStoreBoundsOpenStreams(t *testing.T) {
	defer leaktest.Check(t)()
	t0 := time.Unix(1_700_000_000, 0)
	for _, text := range []string{"", "words"} {
		s := NewStore(Options{MaxSegments: 50})
		for i := range 200 {
			id := "s" + strconv.Itoa(i)
			s.OpenStream(t0, StreamInfo{StreamID: id, SegmentID: "g" + strconv.Itoa(i), Speaker: SpeakerAgent, Identity: "agent"})
			if text != "" {
				s.AppendStream(t0, id, text)
			}
		}
		checkHeld(t, s, 50)
		wantDropped, wantListed := 0, 0
		if text != "" {
			wantDropped, wantListed = 150, 50
		}
		if s.Dropped() != wantDropped || len(s.Segments()) != wantListed {
			t.Errorf("text %q: %d dropped, %d listed; want %d, %d", text, s.Dropped(), len(s.Segments()), wantDropped, wantListed)
		}
		// The newest streams are the ones still open.
		if ch := s.AppendStream(t0, "s199", "!"); text != "" && len(ch) != 1 {
			t.Errorf("text %q: the newest stream no longer writes: %+v", text, ch)
		}
		if ch := s.AppendStream(t0, "s0", "!"); len(ch) != 0 {
			t.Errorf("text %q: the oldest stream, let go, still writes: %+v", text, ch)
		}
	}
}

// TestStoreDefaultMaxSegments: zero Options bound at DefaultMaxSegments.
func TestStoreDefaultMaxSegments(t *testing.T) {
	defer leaktest.Check(t)()
	s := NewStore(Options{})
	t0 := time.Unix(1_700_000_000, 0)
	for i := range DefaultMaxSegments + 5 {
		agentSays(s, t0, "g"+strconv.Itoa(i), "w")
	}
	if len(s.Segments()) != DefaultMaxSegments || s.Dropped() != 5 {
		t.Errorf("%d kept, %d dropped; want %d and 5", len(s.Segments()), s.Dropped(), DefaultMaxSegments)
	}
}

// TestFilesSayWhatWasNotKept: the transcript of a call whose store let
// segments go says how many, first thing, in every format: JSON that
// still matches the schema, a first text line, a WebVTT NOTE before the
// cues; and a call that let none go says nothing of it.
func TestFilesSayWhatWasNotKept(t *testing.T) {
	defer leaktest.Check(t)()
	s := NewStore(Options{MaxSegments: 10})
	for i := range 25 {
		agentSays(s, at(1000*(i+1)), "g"+strconv.Itoa(i), "word "+strconv.Itoa(i))
	}
	c := Conversation{Room: "r", Identity: "me", Start: callStart, Duration: 30 * time.Second, End: Ending{Reason: "done", Outcome: OutcomeCompleted},
		Segments: s.Segments(), SegmentsNotKept: s.Dropped()}

	doc := renderFile(t, c, FormatJSON)
	if err := validate(t, compileSchema(t), doc); err != nil {
		t.Errorf("the document does not match the schema: %v", err)
	}
	var m struct {
		NotKept  int   `json:"segments_not_kept"`
		Segments []any `json:"segments"`
	}
	if err := json.Unmarshal([]byte(doc), &m); err != nil || m.NotKept != 15 || len(m.Segments) != 10 {
		t.Errorf("JSON says %d not kept and holds %d segments (%v), want 15 and 10", m.NotKept, len(m.Segments), err)
	}

	text := strings.Split(renderFile(t, c, FormatText), "\n")
	if text[0] != "[0:00.0] — 15 earlier segments not kept —" || text[1] != "[0:16.0] agent: word 15" || len(text) != 12 {
		t.Errorf("text file begins %q, %q (%d lines)", text[0], text[1], len(text))
	}

	vtt := renderFile(t, c, FormatVTT)
	if !strings.HasPrefix(vtt, "WEBVTT\n\nNOTE 15 earlier segments not kept\n\n") {
		t.Errorf("WebVTT begins %q", vtt[:min(len(vtt), 80)])
	}
	if cues, err := vttcheck.Parse(vtt, vttcheck.Options{RequireVoice: true}); err != nil || len(cues) != 10 {
		t.Errorf("WebVTT: %d cues, %v; want 10 valid ones", len(cues), err)
	}

	c.SegmentsNotKept = 1
	if got := renderFile(t, c, FormatText); !strings.HasPrefix(got, "[0:00.0] — 1 earlier segment not kept —\n") {
		t.Errorf("one not kept: %q", got[:40])
	}
	c.SegmentsNotKept = 0
	for _, f := range FileFormats {
		if got := renderFile(t, c, f); strings.Contains(got, "not kept") || strings.Contains(got, "segments_not_kept") {
			t.Errorf("%s of a call that kept everything mentions segments not kept", f)
		}
	}
}
