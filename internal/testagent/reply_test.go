package testagent

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReplyTo(t *testing.T) {
	wav := filepath.Join("..", "..", "testdata", "audio", "reply.wav")
	tests := []struct {
		name    string
		replies []Reply
		heard   []string
		want    string // the replies' texts, joined by "|"
	}{
		{
			"no When: in turn",
			[]Reply{{Text: "A"}, {Text: "B"}},
			[]string{"x", "y", "z"},
			"A|B|A",
		},
		{
			// A matched reply does not advance the cycle of the others.
			"When first, whatever its place; the rest in turn",
			[]Reply{{Text: "A"}, {Text: "Close", When: "CLOSE"}, {Text: "B"}},
			[]string{"hello", "When do you close?", "hi", "Do you CLOSE late?", "bye"},
			"A|Close|B|Close|A",
		},
		{
			"the first matching When wins",
			[]Reply{{Text: "Table", When: "table"}, {Text: "Window", When: "window"}},
			[]string{"a table by the window", "the window"},
			"Table|Window",
		},
		{
			"every reply has a When and none matches: all in turn",
			[]Reply{{Text: "Table", When: "table"}, {Text: "Window", When: "window"}},
			[]string{"hello", "hello", "hello"},
			"Table|Window|Table",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.replies {
				tc.replies[i].WAV = wav
			}
			p, err := Options{URL: "ws://x", APIKey: "k", APISecret: "s", Replies: tc.replies}.prepare()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			cycle := 0
			for _, h := range tc.heard {
				got = append(got, p.replyTo(h, &cycle).text)
			}
			if g := strings.Join(got, "|"); g != tc.want {
				t.Errorf("replies to %q: %s, want %s", tc.heard, g, tc.want)
			}
		})
	}
}

func TestInterruptFrames(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{-time.Millisecond, 0},
		{DefaultInterruptAfter, 25},
		{510 * ms, 26},
		{1, 1},
	} {
		if got := interruptFrames(tc.d); got != tc.want {
			t.Errorf("interruptFrames(%s) = %d, want %d", tc.d, got, tc.want)
		}
	}
	p, err := Options{URL: "ws://x", APIKey: "k", APISecret: "s",
		ReplyWAV: filepath.Join("..", "..", "testdata", "audio", "reply.wav")}.prepare()
	if err != nil {
		t.Fatal(err)
	}
	if p.InterruptAfter != DefaultInterruptAfter {
		t.Errorf("InterruptAfter 0 became %s, want the default %s", p.InterruptAfter, DefaultInterruptAfter)
	}
}
