package vttcheck

import (
	"strings"
	"testing"
	"time"
)

func TestParseGood(t *testing.T) {
	data := "\uFEFFWEBVTT - captions\r\nKind: captions\r\n\r\nNOTE written by hand\r\n\r\n" +
		"seg-1\r\n00:00:01.500 --> 00:00:03.000 align:start\r\n<v agent>Fish &amp; chips, &lt;now&gt;</v>\r\n\r\n\r\n" +
		"01:02.000 --> 01:03.250\r\n<v.loud user>one <i>two</i>\r\nthree &#65;\r\n"
	cues, err := Parse(data, Options{RequireVoice: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []Cue{
		{ID: "seg-1", Start: 1500 * time.Millisecond, End: 3 * time.Second, Voice: "agent", Text: "Fish & chips, <now>", Line: 7},
		{Start: 62 * time.Second, End: 63250 * time.Millisecond, Voice: "user", Text: "one two\nthree A", Line: 11},
	}
	if len(cues) != len(want) {
		t.Fatalf("got %d cues %+v, want %d", len(cues), cues, len(want))
	}
	for i := range want {
		if cues[i] != want[i] {
			t.Errorf("cue %d: got %+v, want %+v", i, cues[i], want[i])
		}
	}
}

// Every rule the package states has a file that breaks it and is refused,
// with a message that says which rule.
func TestParseRefuses(t *testing.T) {
	cue := "00:00:01.000 --> 00:00:02.000\n<v agent>hi\n"
	tests := []struct {
		name, data, want string
	}{
		{"no signature", "WEBVT\n\n" + cue, "signature"},
		{"signature glued to text", "WEBVTTX\n\n" + cue, "signature"},
		{"cue in the header", "WEBVTT\n" + cue, "header"},
		{"bad timestamp", "WEBVTT\n\n00:00:01.00 --> 00:00:02.000\nhi\n", "timing line"},
		{"minutes of 60", "WEBVTT\n\n00:60:01.000 --> 01:00:02.000\nhi\n", "timing line"},
		{"no spaces around the arrow", "WEBVTT\n\n00:00:01.000-->00:00:02.000\nhi\n", "timing line"},
		{"end before start", "WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nhi\n", "no later"},
		{"end at start", "WEBVTT\n\n00:00:02.000 --> 00:00:02.000\nhi\n", "no later"},
		{"start going back", "WEBVTT\n\n00:00:02.000 --> 00:00:03.000\n<v a>hi\n\n00:00:01.000 --> 00:00:04.000\n<v a>ho\n", "before the previous"},
		{"identifier alone", "WEBVTT\n\nseg\n", "no timing line"},
		{"empty payload", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n", "without text"},
		{"arrow in the payload", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nthen --&gt; now\nand --> then\n", "\"-->\""},
		{"bare ampersand", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfish & chips\n", "bare &"},
		{"bare less-than", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n1 < 2\n", "no known tag"},
		{"bare greater-than", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n2 > 1\n", "bare >"},
		{"unclosed italics", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<i>hi\n", "never closed"},
		{"stray close", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi</b>\n", "closes no open"},
		{"nameless voice", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v>hi\n", "without a name"},
		{"no voice", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n", "voice span"},
		{"twice the same id", "WEBVTT\n\na\n" + cue + "\na\n" + cue, "used twice"},
		{"lone CR", "WEBVTT\r\r" + cue, "lone CR"},
		{"arrow in a note", "WEBVTT\n\nNOTE a --> b\n", "NOTE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.data, Options{RequireVoice: true})
			if err == nil {
				t.Fatalf("accepted:\n%s", tt.data)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}
