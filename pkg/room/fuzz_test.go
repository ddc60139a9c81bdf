package room

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	agentpb "github.com/livekit/protocol/livekit/agent"
	"google.golang.org/protobuf/proto"

	"github.com/webcall-cli/webcall/pkg/transcript"
)

// What other participants send is read here: the header and trailer
// attributes of lk.transcription streams, their text as the wire cuts it,
// and agent session messages. The fuzz targets feed those readers
// arbitrary input; their seeds are the attribute sets and messages real
// agents send (see the notes on the agent wire).

// parseAttrs reads "key=value" lines into an attribute map, so that the
// fuzzer can write any attribute set as one string.
func parseAttrs(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// fuzzCaptionLimit is readStream's limit in FuzzCaptionStream, small so
// that short inputs pass it.
const fuzzCaptionLimit = 40

func FuzzCaptionStream(f *testing.F) {
	agentHeader := AttrSegmentID + "=SG_1a2b\n" + AttrTranscribedTrack + "=\n" + AttrFinal + "=false"
	userHeader := AttrSegmentID + "=SG_9\n" + AttrTranscribedTrack + "=TR_AMx\n" + AttrFinal + "=true"
	f.Add(agentHeader, AttrFinal+"=true", "agent-1", false, []byte("Hello! How can I help you today?"), uint8(7))
	f.Add(userHeader, "", "agent-1", true, []byte("what's the weather like"), uint8(1))
	f.Add(AttrFinal+"=TRUE", AttrFinal+"=false", "webcall-user", false, []byte("Grüße aus 東京 😀!"), uint8(3))
	f.Add("", "", "", false, []byte("{\"text\":\"hi\",\"start\":0.1}\n"), uint8(0))
	f.Add("k=v\n=\n==", "x", "agent-1", false, []byte("\xff\xfe half \xe6\x9d"), uint8(2))
	f.Fuzz(func(t *testing.T, header, trailer, sender string, ourTrack bool, text []byte, cut uint8) {
		const local = "webcall-user"
		h := parseAttrs(header)
		info := streamInfo("stream-1", h, sender, local, ourTrack)
		user := ourTrack || sender == local
		switch {
		case info.StreamID != "stream-1" || info.SegmentID != h[AttrSegmentID] || info.Sender != sender:
			t.Fatalf("header %q read as %+v", header, info)
		case info.Final != (h[AttrFinal] == "true"):
			t.Fatalf("final %v from %q", info.Final, h[AttrFinal])
		case user && (info.Speaker != transcript.SpeakerUser || info.Identity != local),
			!user && (info.Speaker != transcript.SpeakerAgent || info.Identity != sender):
			t.Fatalf("credited to %s %q (sender %q, our track %v)", info.Speaker, info.Identity, sender, ourTrack)
		}

		end := parseAttrs(trailer)
		tf := trailerFinal(h, end)
		v, set := end[AttrFinal]
		if changed := set && v != h[AttrFinal]; (tf != nil) != changed || (tf != nil && *tf != (v == "true")) {
			t.Fatalf("trailer %q after header %q read as %v", trailer, header, tf)
		}

		// The text in pieces of at most cut+1 bytes, as the wire may
		// deliver it.
		var rd io.Reader = iotest.HalfReader(bytes.NewReader(text))
		if cut > 0 {
			rd = &pieceReader{data: text, n: int(cut)}
		}
		var got []byte
		warnings := 0
		err := readStream(rd, "stream-1", sender, fuzzCaptionLimit, func(e Event) {
			switch e := e.(type) {
			case StreamChunk:
				if warnings > 0 {
					t.Fatal("text after the warning")
				}
				if utf8.Valid(text) && !utf8.ValidString(e.Text) {
					t.Fatalf("chunk %q splits a character", e.Text)
				}
				got = append(got, e.Text...)
			case Warning:
				warnings++
			default:
				t.Fatalf("event %T", e)
			}
		})
		if !errors.Is(err, io.EOF) {
			t.Fatalf("readStream returned %v", err)
		}
		over := len(text) > fuzzCaptionLimit
		switch {
		case !over && (warnings != 0 || !bytes.Equal(got, text)):
			t.Fatalf("%q delivered as %q with %d warnings", text, got, warnings)
		case over && (warnings != 1 || len(got) > fuzzCaptionLimit || len(got) < fuzzCaptionLimit-utf8.UTFMax || !bytes.HasPrefix(text, got)):
			t.Fatalf("%d bytes over the limit delivered as %d bytes with %d warnings", len(text), len(got), warnings)
		}
	})
}

// pieceReader hands out data n bytes at a time.
type pieceReader struct {
	data []byte
	n    int
}

func (r *pieceReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[k:]
	return k, nil
}

func FuzzSessionMessage(f *testing.F) {
	for _, m := range []*agentpb.ChatMessage{
		{Id: "item_7", Role: agentpb.ChatRole_ASSISTANT, Interrupted: true,
			Metrics: &agentpb.MetricsReport{LlmNodeTtft: proto.Float64(0.2504), TtsNodeTtfb: proto.Float64(0.1), E2ELatency: proto.Float64(0.91234)}},
		{Id: "item_8", Role: agentpb.ChatRole_USER,
			Metrics: &agentpb.MetricsReport{TranscriptionDelay: proto.Float64(0.3), EndOfTurnDelay: proto.Float64(math.NaN())}},
		{Role: agentpb.ChatRole(42)},
	} {
		b, err := proto.Marshal(&agentpb.AgentSessionMessage{Message: &agentpb.AgentSessionMessage_Event{Event: &agentpb.AgentSessionEvent{
			Event: &agentpb.AgentSessionEvent_ConversationItemAdded_{ConversationItemAdded: &agentpb.AgentSessionEvent_ConversationItemAdded{
				Item: &agentpb.ChatContext_ChatItem{Item: &agentpb.ChatContext_ChatItem_Message{Message: m}},
			}},
		}}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := readSession(bytes.NewReader(data), 64)
		if ok != (len(data) <= 64) || (ok && !bytes.Equal(got, data)) {
			t.Fatalf("%d bytes read as %d, whole %v", len(data), len(got), ok)
		}
		item, ok := decodeSessionMessage(data, "agent-1")
		if !ok {
			return
		}
		if item.Identity != "agent-1" || item.Role == "" {
			t.Fatalf("item %+v", item)
		}
		for _, ms := range []*float64{item.TranscriptionDelayMS, item.EndOfTurnMS, item.LLMTTFTMS, item.TTSTTFBMS, item.E2ELatencyMS} {
			if ms != nil && (math.IsNaN(*ms) || math.IsInf(*ms, 0) || *ms < 0) {
				t.Fatalf("figure %v reported", *ms)
			}
		}
	})
}
