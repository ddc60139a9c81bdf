package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestReplyScript(t *testing.T) {
	bundled, err := moduleFile("testdata", "audio", "reply.wav")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name               string
		wavs, texts, whens []string
		want               string // WAV=text pairs (and ?when) joined by "|", or the error
	}{
		{"defaults", nil, nil, nil, bundled + "=" + defaultReplyText},
		{"own text for the bundled audio", nil, []string{"Hi."}, nil, bundled + "=Hi."},
		{"one reply", []string{"a.wav"}, []string{"A."}, nil, "a.wav=A."},
		{"a script", []string{"a.wav", "b.wav"}, []string{"A.", "B."}, nil, "a.wav=A.|b.wav=B."},
		{"a script by what was heard", []string{"a.wav", "b.wav"}, []string{"A.", "B."}, []string{"", "window"}, "a.wav=A.|b.wav=B.?window"},
		{"a When for the bundled reply", nil, nil, []string{"hello"}, bundled + "=" + defaultReplyText + "?hello"},
		{"audio without text", []string{"a.wav"}, nil, nil, "error: 1 --reply-wav but 0 --reply-text"},
		{"texts without audio", nil, []string{"A.", "B."}, nil, "error: several --reply-text need as many --reply-wav"},
		{"too few When", []string{"a.wav", "b.wav"}, []string{"A.", "B."}, []string{"x"}, "error: 1 --reply-when for 2 replies"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			replies, err := replyScript(tc.wavs, tc.texts, tc.whens)
			var got string
			if err != nil {
				got = "error: " + err.Error()
			} else {
				var pairs []string
				for _, r := range replies {
					pair := r.WAV + "=" + r.Text
					if r.When != "" {
						pair += "?" + r.When
					}
					pairs = append(pairs, pair)
				}
				got = strings.Join(pairs, "|")
			}
			// Errors by their start; scripts exactly.
			if got != tc.want && !(strings.HasPrefix(tc.want, "error: ") && strings.HasPrefix(got, tc.want)) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if filepath.Base(bundled) != "reply.wav" {
		t.Errorf("bundled reply %q", bundled)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"extra-argument"},
		{"--no-such-flag"},
		{"--reply-wav", "a.wav", "--reply-wav", "b.wav", "--reply-text", "A."},
		{"--log-format", "xml"},
		{"--interrupt-after", "soon"},
	} {
		if code := run(args); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (usage)", args, code)
		}
	}
	// Everything given but nowhere to connect: a start error.
	if code := run([]string{"--url", "ftp://nowhere", "--api-key", "k", "--api-secret", "s"}); code != 1 {
		t.Errorf("bad URL: exit %d, want 1", code)
	}
}
