package room

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/pkg/transcript"
)

// Whose words a text stream carries: the agent sends both its own speech
// and the user's speech to text, and only the header tells them apart.
func TestStreamInfoCreditsTheSpeaker(t *testing.T) {
	const local = "webcall-user"
	for _, tc := range []struct {
		name         string
		sender       string
		ourTrack     bool
		wantSpeaker  transcript.Speaker
		wantIdentity string
	}{
		{"the agent's own speech", "agent-1", false, transcript.SpeakerAgent, "agent-1"},
		{"the user's speech, transcribed by the agent", "agent-1", true, transcript.SpeakerUser, local},
		{"a stream we sent", local, false, transcript.SpeakerUser, local},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := map[string]string{AttrSegmentID: "seg-1", AttrFinal: "true", AttrTranscribedTrack: "TR_x"}
			info := streamInfo("stream-1", header, tc.sender, local, tc.ourTrack)
			if info.Speaker != tc.wantSpeaker || info.Identity != tc.wantIdentity {
				t.Errorf("credited to %s %q, want %s %q", info.Speaker, info.Identity, tc.wantSpeaker, tc.wantIdentity)
			}
			// The sender is kept as it is: the store drops the legacy
			// duplicates of whoever sends streams.
			if info.StreamID != "stream-1" || info.SegmentID != "seg-1" || !info.Final || info.Sender != tc.sender {
				t.Errorf("header read as %+v", info)
			}
		})
	}
}

func TestStreamInfoFinalOnlyWhenTheHeaderSaysSo(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "false": false, "": false} {
		header := map[string]string{}
		if v != "" {
			header[AttrFinal] = v
		}
		if got := streamInfo("s", header, "agent-1", "me", false).Final; got != want {
			t.Errorf("%s=%q: final %v, want %v", AttrFinal, v, got, want)
		}
	}
}

// A legacy packet carries the words of the participant it came with.
func TestLegacyTranscriptionCreditsTheParticipant(t *testing.T) {
	segs := []*lksdk.TranscriptionSegment{{ID: "a", Text: "Hello", Final: true}, {ID: "b", Text: "how are", Final: false}}
	for _, tc := range []struct {
		identity string
		want     transcript.Speaker
	}{
		{"agent-1", transcript.SpeakerAgent},
		{"webcall-user", transcript.SpeakerUser},
	} {
		ev := legacyTranscription(tc.identity, "webcall-user", segs)
		if ev.Identity != tc.identity || len(ev.Segments) != 2 {
			t.Fatalf("%s: %+v", tc.identity, ev)
		}
		for i, s := range ev.Segments {
			if s.Speaker != tc.want || s.Identity != tc.identity || s.ID != segs[i].ID || s.Text != segs[i].Text || s.Final != segs[i].Final {
				t.Errorf("%s: segment %d is %+v", tc.identity, i, s)
			}
		}
	}
}

func TestAgentLike(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kind  lksdk.ParticipantKind
		attrs map[string]string
		want  bool
	}{
		{"joined as an agent", lksdk.ParticipantAgent, nil, true},
		{"an older agent with a state", lksdk.ParticipantStandard, map[string]string{AttrAgentState: "listening"}, true},
		{"an older agent with a name", lksdk.ParticipantStandard, map[string]string{AttrAgentName: "helper"}, true},
		{"a person", lksdk.ParticipantStandard, map[string]string{"role": "caller"}, false},
		{"a phone caller", lksdk.ParticipantSIP, nil, false},
	} {
		if got := agentLike(tc.kind, tc.attrs); got != tc.want {
			t.Errorf("%s: agent %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Text arrives in whatever pieces the wire cut it into; every chunk holds
// whole characters, and together they are the text.
func TestReadStreamNeverSplitsACharacter(t *testing.T) {
	const text = "Grüße aus 東京 😀!"
	var chunks []string
	err := readStream(iotest.OneByteReader(strings.NewReader(text)), "s1", "agent-1", MaxCaptionStreamBytes, func(e Event) {
		c := e.(StreamChunk)
		if c.StreamID != "s1" {
			t.Errorf("chunk for stream %q", c.StreamID)
		}
		chunks = append(chunks, c.Text)
	})
	if !errors.Is(err, io.EOF) {
		t.Fatalf("readStream returned %v, want io.EOF", err)
	}
	for _, c := range chunks {
		if !utf8.ValidString(c) {
			t.Errorf("chunk %q splits a character", c)
		}
	}
	if got := strings.Join(chunks, ""); got != text {
		t.Errorf("chunks join to %q, want %q", got, text)
	}
}

// A stream cut off mid-character still delivers what came, and says why
// it ended.
func TestReadStreamDeliversWhatCameBeforeAnError(t *testing.T) {
	lost := errors.New("stream aborted")
	partial := []byte("ok 😀")[:5] // "ok " and half of the emoji
	var got []string
	err := readStream(iotest.DataErrReader(&erroringReader{data: partial, err: lost}), "s1", "agent-1", MaxCaptionStreamBytes, func(e Event) {
		got = append(got, e.(StreamChunk).Text)
	})
	if !errors.Is(err, lost) {
		t.Fatalf("readStream returned %v, want %v", err, lost)
	}
	if strings.Join(got, "") != string(partial) {
		t.Errorf("delivered %q, want %q", got, partial)
	}
}

type erroringReader struct {
	data []byte
	err  error
}

func (r *erroringReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestTrailerFinal(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name          string
		header, after string // "" for absent
		want          *bool
	}{
		{"the trailer settles it", "false", "true", &yes},
		{"the trailer unsettles it", "true", "false", &no},
		{"no trailer attribute", "true", "", nil},
		{"the header's value, unchanged", "true", "true", nil},
	} {
		attrs := func(v string) map[string]string {
			if v == "" {
				return map[string]string{}
			}
			return map[string]string{AttrFinal: v}
		}
		got := trailerFinal(attrs(tc.header), attrs(tc.after))
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
