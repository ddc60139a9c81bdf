package transcript

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestSegmentTextBounded: a stream that keeps writing (plain text, or a
// JSON line that never ends) and a huge legacy packet each leave at most
// MaxSegmentText bytes of whole characters in their segment.
func TestSegmentTextBounded(t *testing.T) {
	t0 := time.Unix(0, 0)
	word := "wörd " // 6 bytes: the limit falls inside a character
	tests := []struct {
		name  string
		chunk string
	}{
		{"plain", word},
		{"json line that never ends", `{"text":"` + word},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore(Options{})
			s.OpenStream(t0, StreamInfo{StreamID: "a1", SegmentID: "g1", Speaker: SpeakerAgent, Identity: "agent"})
			if tt.chunk[0] == '{' {
				s.AppendStream(t0, "a1", tt.chunk)
				tt.chunk = word
			}
			for range (MaxSegmentText / len(word)) * 2 {
				s.AppendStream(t0, "a1", tt.chunk)
			}
			s.CloseStream(t0, "a1", nil)
			checkBounded(t, s.Segments())
		})
	}
	t.Run("legacy", func(t *testing.T) {
		s := NewStore(Options{LegacyGrace: -1})
		s.Legacy(t0, "agent", LegacySegment{ID: "l1", Speaker: SpeakerAgent, Identity: "agent", Text: strings.Repeat(word, MaxSegmentText), Final: true})
		checkBounded(t, s.Segments())
	})
}

func checkBounded(t *testing.T, segs []Segment) {
	t.Helper()
	if len(segs) != 1 {
		t.Fatalf("%d segments, want 1", len(segs))
	}
	text := segs[0].Text
	if len(text) > MaxSegmentText || len(text) < MaxSegmentText-utf8.UTFMax {
		t.Errorf("segment holds %d bytes, want just under %d", len(text), MaxSegmentText)
	}
	if !utf8.ValidString(text) {
		t.Error("the cut split a character")
	}
	if !segs[0].Final {
		t.Error("segment not final")
	}
}
