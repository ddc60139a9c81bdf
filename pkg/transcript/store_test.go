package transcript

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// step is one call on the Store, at a time relative to t0.
type step struct {
	at time.Duration
	do func(s *Store, now time.Time) []Change
}

func openUser(at time.Duration, streamID, segID string, final bool) step {
	return step{at, func(s *Store, now time.Time) []Change {
		return s.OpenStream(now, StreamInfo{StreamID: streamID, SegmentID: segID, Speaker: SpeakerUser,
			Identity: "caller", Sender: "bot", Final: final})
	}}
}

func openAgent(at time.Duration, streamID, segID string, final bool) step {
	return step{at, func(s *Store, now time.Time) []Change {
		return s.OpenStream(now, StreamInfo{StreamID: streamID, SegmentID: segID, Speaker: SpeakerAgent,
			Identity: "bot", Sender: "bot", Final: final})
	}}
}

func chunk(at time.Duration, streamID, text string) step {
	return step{at, func(s *Store, now time.Time) []Change { return s.AppendStream(now, streamID, text) }}
}

func closeStream(at time.Duration, streamID string, trailerFinal *bool) step {
	return step{at, func(s *Store, now time.Time) []Change { return s.CloseStream(now, streamID, trailerFinal) }}
}

// send is a whole user STT update: one complete stream with one chunk.
func send(at time.Duration, streamID, segID, text string, final bool) []step {
	return []step{openUser(at, streamID, segID, final), chunk(at, streamID, text), closeStream(at, streamID, nil)}
}

func legacy(at time.Duration, sender, id string, speaker Speaker, identity, text string, final bool) step {
	return step{at, func(s *Store, now time.Time) []Change {
		return s.Legacy(now, sender, LegacySegment{ID: id, Speaker: speaker, Identity: identity, Text: text, Final: final})
	}}
}

func tick(at time.Duration) step {
	return step{at, func(s *Store, now time.Time) []Change { return s.Tick(now) }}
}

func flush(at time.Duration) step {
	return step{at, func(s *Store, now time.Time) []Change { return s.Flush(now) }}
}

func steps(groups ...any) []step {
	var out []step
	for _, g := range groups {
		switch g := g.(type) {
		case step:
			out = append(out, g)
		case []step:
			out = append(out, g...)
		default:
			panic(fmt.Sprintf("steps: %T", g))
		}
	}
	return out
}

func describe(c Change) string {
	return fmt.Sprintf("%s %s %s %q", c.Kind, c.Segment.Speaker, c.Segment.ID, c.Segment.Text)
}

func run(t *testing.T, s *Store, script []step) []string {
	t.Helper()
	var got []string
	for _, st := range script {
		for _, c := range st.do(s, t0.Add(st.at)) {
			got = append(got, describe(c))
		}
	}
	return got
}

const ms = time.Millisecond

func TestStore(t *testing.T) {
	yes, no := event.Bool(true), event.Bool(false)
	tests := []struct {
		name   string
		script []step
		want   []string
	}{
		{
			name: "user STT: each stream replaces the text, the final arrives twice, reported once",
			script: steps(
				send(0, "s1", "seg", "hello", false),
				send(300*ms, "s2", "seg", "hello there", false),
				send(600*ms, "s3", "seg", "hello there friend", false),
				send(700*ms, "s4", "seg", "hello there friend", true),
			),
			want: []string{
				`interim user seg "hello"`,
				`interim user seg "hello there"`,
				`interim user seg "hello there friend"`,
				`final user seg "hello there friend"`,
			},
		},
		{
			name: "agent speech: chunks of one stream append, the close is final without any attribute",
			script: steps(
				openAgent(0, "a1", "reply", false),
				chunk(0, "a1", "You"),
				chunk(250*ms, "a1", " said:"),
				chunk(500*ms, "a1", " hello."),
				closeStream(800*ms, "a1", nil),
			),
			want: []string{
				`interim agent reply "You"`,
				`interim agent reply "You said:"`,
				`interim agent reply "You said: hello."`,
				`final agent reply "You said: hello."`,
			},
		},
		{
			name: "a user stream closing with final=false is an interim, until Flush settles it",
			script: steps(
				send(0, "s1", "seg", "are you there", false),
				tick(time.Second),
				flush(2*time.Second),
			),
			want: []string{
				`interim user seg "are you there"`,
				`final user seg "are you there"`,
			},
		},
		{
			name: "final is read from each stream's own header, not the first one's",
			script: steps(
				send(0, "s1", "seg", "one", false),
				send(100*ms, "s2", "seg", "one two", true),
				send(200*ms, "s3", "seg2", "three", true),
			),
			want: []string{
				`interim user seg "one"`,
				`interim user seg "one two"`,
				`final user seg "one two"`,
				`interim user seg2 "three"`,
				`final user seg2 "three"`,
			},
		},
		{
			name: "a trailer final=true settles a user stream; a trailer final=false does not",
			script: steps(
				openUser(0, "s1", "seg", false),
				chunk(0, "s1", "maybe"),
				closeStream(0, "s1", no),
				openUser(100*ms, "s2", "seg", false),
				chunk(100*ms, "s2", "maybe so"),
				closeStream(100*ms, "s2", yes),
			),
			want: []string{
				`interim user seg "maybe"`,
				`interim user seg "maybe so"`,
				`final user seg "maybe so"`,
			},
		},
		{
			name: "a trailer final=false does not undo a final header",
			script: steps(
				openUser(0, "s1", "seg", true),
				chunk(0, "s1", "sure"),
				closeStream(0, "s1", no),
			),
			want: []string{
				`interim user seg "sure"`,
				`final user seg "sure"`,
			},
		},
		{
			name: "a final stream shows its text while written and is final only when it closes",
			script: steps(
				openUser(0, "s1", "seg", true),
				chunk(0, "s1", "long "),
				chunk(10*ms, "s1", "answer"),
				closeStream(20*ms, "s1", nil),
			),
			want: []string{
				`interim user seg "long "`,
				`interim user seg "long answer"`,
				`final user seg "long answer"`,
			},
		},
		{
			name: "an agent stream that never closes stays interim until Flush",
			script: steps(
				openAgent(0, "a1", "reply", false),
				chunk(0, "a1", "Goodbye"),
				tick(10*time.Second),
				flush(20*time.Second),
			),
			want: []string{
				`interim agent reply "Goodbye"`,
				`final agent reply "Goodbye"`,
			},
		},
		{
			name: "a later final with other text is a correction; the same text again is nothing",
			script: steps(
				send(0, "s1", "seg", "I want to", true),
				send(10*ms, "s2", "seg", "I want to", true),
				send(20*ms, "s3", "seg", "I want two", true),
				send(30*ms, "s4", "seg", "I want two", true),
				flush(time.Second),
			),
			want: []string{
				`interim user seg "I want to"`,
				`final user seg "I want to"`,
				`correction user seg "I want two"`,
			},
		},
		{
			name: "an interim stream after the final is ignored, chunks and close alike",
			script: steps(
				send(0, "s1", "seg", "done", true),
				send(10*ms, "s2", "seg", "done and", false),
				openUser(20*ms, "s3", "seg", false),
				chunk(20*ms, "s3", "done and more"),
				flush(time.Second),
				closeStream(2*time.Second, "s3", yes),
			),
			want: []string{
				`interim user seg "done"`,
				`final user seg "done"`,
			},
		},
		{
			name: "a burst of finals for different segments is reported in full, in order",
			script: steps(
				send(0, "s1", "a", "first", true),
				send(0, "s2", "b", "second", true),
				send(0, "s3", "c", "third", true),
			),
			want: []string{
				`interim user a "first"`, `final user a "first"`,
				`interim user b "second"`, `final user b "second"`,
				`interim user c "third"`, `final user c "third"`,
			},
		},
		{
			name: "without lk.segment_id the stream id is the segment",
			script: steps(
				openAgent(0, "stream-9", "", false),
				chunk(0, "stream-9", "Hi."),
				closeStream(10*ms, "stream-9", nil),
			),
			want: []string{
				`interim agent stream-9 "Hi."`,
				`final agent stream-9 "Hi."`,
			},
		},
		{
			name: "without lk.segment_id a user's interim streams build one segment until it is final",
			script: steps(
				send(0, "i1", "", "Hello", false),
				send(300*ms, "i2", "", "Hello, I", false),
				send(600*ms, "i3", "", "Hello, I would", false),
				send(700*ms, "i4", "", "Hello, I would", true),
				send(2*time.Second, "j1", "", "Bye", false),
				send(2300*ms, "j2", "", "Bye now", true),
				flush(3*time.Second),
			),
			want: []string{
				`interim user i1 "Hello"`,
				`interim user i1 "Hello, I"`,
				`interim user i1 "Hello, I would"`,
				`final user i1 "Hello, I would"`,
				`interim user j1 "Bye"`,
				`interim user j1 "Bye now"`,
				`final user j1 "Bye now"`,
			},
		},
		{
			name: "without lk.segment_id the final's non-final twin arriving just after it is a duplicate",
			script: steps(
				send(0, "i1", "", "Hello there", false),
				send(500*ms, "i3", "", "Hello there", true),
				send(510*ms, "i2", "", "Hello there", false),
				send(3*time.Second, "j1", "", "Next", false),
				flush(4*time.Second),
			),
			want: []string{
				`interim user i1 "Hello there"`,
				`final user i1 "Hello there"`,
				`interim user j1 "Next"`,
				`final user j1 "Next"`,
			},
		},
		{
			// The agent sends the final text as a non-final stream, then
			// a final one; the SDK reads each on its own goroutine, so
			// the final one can open first and the non-final one must
			// not supersede it (seen in a CI rehearsal: the user's line
			// came out after the agent's, at Flush).
			name: "a final stream still open is not superseded by its non-final twin opening after it",
			script: steps(
				send(0, "s1", "seg", "hello", false),
				openUser(500*ms, "s3", "seg", true),
				openUser(501*ms, "s2", "seg", false),
				chunk(502*ms, "s2", "hello there"),
				chunk(502*ms, "s3", "hello there"),
				closeStream(503*ms, "s2", nil),
				closeStream(503*ms, "s3", nil),
				send(2*time.Second, "a1", "seg2", "next", false),
			),
			want: []string{
				`interim user seg "hello"`,
				`interim user seg "hello there"`,
				`final user seg "hello there"`,
				`interim user seg2 "next"`,
			},
		},
		{
			name: "a superseded stream is ignored: the latest opened stream of a segment wins",
			script: steps(
				openUser(0, "s1", "seg", false),
				openUser(0, "s2", "seg", true),
				chunk(0, "s1", "old words"),
				chunk(0, "s2", "new words"),
				closeStream(0, "s1", nil),
				closeStream(0, "s2", nil),
			),
			want: []string{
				`interim user seg "new words"`,
				`final user seg "new words"`,
			},
		},
		{
			name: "an interrupted agent: a final stream with the spoken text wins over the open one",
			script: steps(
				openAgent(0, "a1", "reply", false),
				chunk(0, "a1", "Let me tell"),
				openAgent(100*ms, "a2", "reply", true),
				chunk(100*ms, "a2", "Let me"),
				closeStream(100*ms, "a2", nil),
				chunk(200*ms, "a1", " you a story"),
				closeStream(300*ms, "a1", nil),
			),
			want: []string{
				`interim agent reply "Let me tell"`,
				`interim agent reply "Let me"`,
				`final agent reply "Let me"`,
			},
		},
		{
			name: "a new stream shows the old text until it has its own, and an empty final close settles it",
			script: steps(
				send(0, "s1", "seg", "ok", false),
				openUser(10*ms, "s2", "seg", true),
				closeStream(20*ms, "s2", nil),
			),
			want: []string{
				`interim user seg "ok"`,
				`final user seg "ok"`,
			},
		},
		{
			name: "a stream that never carries text reports nothing, even at Flush",
			script: steps(
				openAgent(0, "a1", "reply", false),
				closeStream(10*ms, "a1", nil),
				openAgent(20*ms, "a2", "reply2", false),
				flush(time.Second),
			),
			want: nil,
		},
		{
			name: "user and agent segments interleave independently",
			script: steps(
				openAgent(0, "a1", "reply", false),
				chunk(0, "a1", "Sure,"),
				send(10*ms, "s1", "seg", "wait", false),
				chunk(20*ms, "a1", " I"),
				send(30*ms, "s2", "seg", "wait stop", true),
				closeStream(40*ms, "a1", nil),
			),
			want: []string{
				`interim agent reply "Sure,"`,
				`interim user seg "wait"`,
				`interim agent reply "Sure, I"`,
				`interim user seg "wait stop"`,
				`final user seg "wait stop"`,
				`final agent reply "Sure, I"`,
			},
		},
		{
			name: "JSON payloads: the text fields, with lines split across chunks",
			script: steps(
				openAgent(0, "a1", "reply", false),
				chunk(0, "a1", `{"text":"Hello","start_time":0.1,"end_time":0.4,"confidence":0.9}`+"\n"),
				chunk(10*ms, "a1", `{"text":" wor`),
				chunk(20*ms, "a1", `ld","start_time_offset":1.5}`+"\n"+`{"start_time":2}`+"\n"),
				chunk(30*ms, "a1", `{"text":"!"}`),
				closeStream(40*ms, "a1", nil),
			),
			want: []string{
				`interim agent reply "Hello"`,
				`interim agent reply "Hello world"`,
				`final agent reply "Hello world!"`,
			},
		},
		{
			name: "JSON payloads: a user stream whose only line has no newline",
			script: steps(
				send(0, "s1", "seg", `{"text":"hi there","confidence":0.8}`, true),
			),
			want: []string{`final user seg "hi there"`},
		},
		{
			name: "text that only looks like JSON stays text",
			script: steps(
				send(0, "s1", "a", "{curly} braces\n", true),
				send(0, "s2", "b", `{"name":"not a payload"}`, true),
				send(0, "s3", "c", `{"text":`, true),
			),
			want: []string{
				`interim user a "{curly} braces\n"`, // decided at its newline
				`final user a "{curly} braces\n"`,
				`final user b "{\"name\":\"not a payload\"}"`,
				`final user c "{\"text\":"`,
			},
		},
		{
			name: "JSON payloads: a broken line in a JSON stream is kept, not lost",
			script: steps(
				openAgent(0, "a1", "reply", false),
				chunk(0, "a1", `{"text":"one"}`+"\n"+"two\n"),
				closeStream(10*ms, "a1", nil),
			),
			want: []string{
				`interim agent reply "onetwo\n"`,
				`final agent reply "onetwo\n"`,
			},
		},
		{
			name: "legacy packets are dropped once the participant sends streams, even if they came first",
			script: steps(
				legacy(0, "bot", "L1", SpeakerAgent, "bot", "Hello", false),
				openAgent(100*ms, "a1", "reply", false),
				chunk(100*ms, "a1", "Hello"),
				tick(time.Second),
				legacy(time.Second, "bot", "L1", SpeakerAgent, "bot", "Hello there", true),
				chunk(time.Second, "a1", " there"),
				closeStream(time.Second, "a1", nil),
				flush(2*time.Second),
			),
			want: []string{
				`interim agent reply "Hello"`,
				`interim agent reply "Hello there"`,
				`final agent reply "Hello there"`,
			},
		},
		{
			name: "legacy user STT is dropped once its sender (the agent) sends streams",
			script: steps(
				openAgent(0, "a1", "reply", false),
				legacy(10*ms, "bot", "L7", SpeakerUser, "caller", "hello", true),
				tick(time.Second),
				flush(2*time.Second),
			),
			want: nil,
		},
		{
			name: "a legacy-only agent works: first update after the grace, the rest at once",
			script: steps(
				legacy(0, "bot", "L1", SpeakerUser, "caller", "hel", false),
				legacy(100*ms, "bot", "L1", SpeakerUser, "caller", "hello", false),
				tick(400*ms),
				tick(500*ms),
				legacy(600*ms, "bot", "L1", SpeakerUser, "caller", "hello", true),
				legacy(610*ms, "bot", "L1", SpeakerUser, "caller", "hello", true),
				legacy(700*ms, "bot", "L2", SpeakerAgent, "bot", "Hi!", true),
				legacy(800*ms, "bot", "L2", SpeakerAgent, "bot", "Hi!!", true),
				legacy(900*ms, "bot", "L2", SpeakerAgent, "bot", "Hi", false),
			),
			want: []string{
				`interim user legacy:L1 "hel"`,
				`interim user legacy:L1 "hello"`,
				`final user legacy:L1 "hello"`,
				`final agent legacy:L2 "Hi!"`,
				`correction agent legacy:L2 "Hi!!"`,
			},
		},
		{
			name: "held legacy updates are released by Flush and settled",
			script: steps(
				legacy(0, "bot", "L1", SpeakerAgent, "bot", "Bye", false),
				flush(100*ms),
			),
			want: []string{
				`interim agent legacy:L1 "Bye"`,
				`final agent legacy:L1 "Bye"`,
			},
		},
		{
			name: "legacy ids cannot clash with stream segment ids",
			script: steps(
				send(0, "s1", "seg", "from the user", true),
				legacy(0, "other-bot", "seg", SpeakerAgent, "other-bot", "from an old agent", true),
				tick(time.Second),
			),
			want: []string{
				`interim user seg "from the user"`,
				`final user seg "from the user"`,
				`final agent legacy:seg "from an old agent"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, NewStore(Options{}), tt.script)
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestStoreNegativeGraceReleasesLegacyAtOnce(t *testing.T) {
	s := NewStore(Options{LegacyGrace: -1})
	got := run(t, s, steps(legacy(0, "bot", "L1", SpeakerAgent, "bot", "Hi", true)))
	want := []string{`final agent legacy:L1 "Hi"`}
	if !slices.Equal(got, want) {
		t.Errorf("changes: got %q, want %q", got, want)
	}
}

func TestStoreCustomGrace(t *testing.T) {
	s := NewStore(Options{LegacyGrace: 2 * time.Second})
	got := run(t, s, steps(
		legacy(0, "bot", "L1", SpeakerAgent, "bot", "Hi", true),
		tick(1999*ms),
	))
	if len(got) != 0 {
		t.Fatalf("released before the grace period: %q", got)
	}
	got = run(t, s, steps(tick(2*time.Second)))
	want := []string{`final agent legacy:L1 "Hi"`}
	if !slices.Equal(got, want) {
		t.Errorf("changes: got %q, want %q", got, want)
	}
}

func TestStoreSegments(t *testing.T) {
	s := NewStore(Options{})
	run(t, s, steps(
		openAgent(0, "a1", "reply", false), // no text yet: not listed before the user's segment
		send(100*ms, "s1", "seg", "hi", false),
		chunk(200*ms, "a1", "Hello"),
		send(300*ms, "s2", "seg", "hi you", true),
		chunk(400*ms, "a1", " there"),
		closeStream(500*ms, "a1", nil),
	))
	want := []Segment{
		{ID: "seg", Speaker: SpeakerUser, Identity: "caller", Text: "hi you", Final: true,
			Started: t0.Add(100 * ms), Updated: t0.Add(300 * ms)},
		{ID: "reply", Speaker: SpeakerAgent, Identity: "bot", Text: "Hello there", Final: true,
			Started: t0, Updated: t0.Add(500 * ms)},
	}
	if got := s.Segments(); !slices.Equal(got, want) {
		t.Errorf("Segments:\n got %+v\nwant %+v", got, want)
	}
}

func TestStoreForgetsSupersededStreams(t *testing.T) {
	// A kiosk call can run for weeks: streams that never close but are
	// superseded, and streams that carried nothing, must not pile up.
	s := NewStore(Options{})
	for i := range 1000 {
		at := time.Duration(i) * ms
		run(t, s, steps(
			openUser(at, fmt.Sprint("open-", i), "seg", false),
			chunk(at, fmt.Sprint("open-", i), "words"),
			openAgent(at, fmt.Sprint("empty-", i), fmt.Sprint("empty-seg-", i), false),
			closeStream(at, fmt.Sprint("empty-", i), nil),
		))
	}
	if len(s.streams) != 1 || len(s.segments) != 1 {
		t.Errorf("after 1000 superseded and 1000 empty streams: %d streams, %d segments held; want 1 and 1",
			len(s.streams), len(s.segments))
	}
}

func TestChangeEvent(t *testing.T) {
	seg := Segment{ID: "seg", Speaker: SpeakerAgent, Identity: "bot", Text: "Hi"}
	tests := []struct {
		kind  ChangeKind
		final bool
	}{{Interim, false}, {Final, true}, {Correction, true}}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			got := Change{Kind: tt.kind, Segment: seg}.Event()
			if got.Type != event.Transcript || got.Speaker != event.SpeakerAgent || got.SegmentID != "seg" ||
				got.Identity != "bot" || got.Text != "Hi" || got.Final == nil || *got.Final != tt.final {
				t.Errorf("Event() = %+v, final %v; want a transcript event of the segment, final %v", got, got.Final, tt.final)
			}
		})
	}
}

func BenchmarkStoreAgentWordByWord(b *testing.B) {
	words := make([]string, 200)
	for i := range words {
		words[i] = fmt.Sprintf(" word%d", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := NewStore(Options{})
		s.OpenStream(t0, StreamInfo{StreamID: "a1", SegmentID: "reply", Speaker: SpeakerAgent, Identity: "bot", Sender: "bot"})
		for _, w := range words {
			s.AppendStream(t0, "a1", w)
		}
		s.CloseStream(t0, "a1", nil)
	}
}
