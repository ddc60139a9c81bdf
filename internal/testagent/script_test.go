package testagent

import (
	"strings"
	"testing"
	"time"
)

func TestInterimText(t *testing.T) {
	const text = "Hello, I would like to book a table."
	tests := []struct {
		speech time.Duration
		want   string
	}{
		{0, "Hello,"},
		{100 * ms, "Hello,"},
		{349 * ms, "Hello,"},
		{350 * ms, "Hello, I"},
		{1050 * ms, "Hello, I would like"},
		// Never the whole text while the utterance lasts: that is the
		// final's.
		{10 * time.Second, "Hello, I would like to book a"},
	}
	for _, tc := range tests {
		if got := interimText(text, tc.speech); got != tc.want {
			t.Errorf("interimText(%s) = %q, want %q", tc.speech, got, tc.want)
		}
	}
	if got := interimText("Yes.", 5*time.Second); got != "Yes." {
		t.Errorf("one-word text: interim %q, want the word", got)
	}
	if got := interimText("  ", time.Second); got != "" {
		t.Errorf("blank text: interim %q, want empty", got)
	}
}

func TestWordChunks(t *testing.T) {
	got := wordChunks("Sure,  I can\thelp. ")
	want := []string{"Sure,", " I", " can", " help."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("chunks %q, want %q", got, want)
	}
	if s := strings.Join(got, ""); s != "Sure, I can help." {
		t.Errorf("chunks join to %q", s)
	}
	if len(wordChunks("")) != 0 {
		t.Errorf("empty text has chunks")
	}
}

func TestWordDue(t *testing.T) {
	total := 4 * time.Second
	var prev time.Duration = -1
	for i := range 8 {
		d := wordDue(i, 8, total)
		if want := time.Duration(i) * 500 * ms; d != want {
			t.Errorf("word %d due at %s, want %s", i, d, want)
		}
		if d <= prev || d >= total {
			t.Errorf("word %d due at %s: not increasing within the audio", i, d)
		}
		prev = d
	}
}
