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
		name        string
		wavs, texts []string
		want        string // WAV=text pairs joined by "|", or the error
	}{
		{"defaults", nil, nil, bundled + "=" + defaultReplyText},
		{"own text for the bundled audio", nil, []string{"Hi."}, bundled + "=Hi."},
		{"one reply", []string{"a.wav"}, []string{"A."}, "a.wav=A."},
		{"a script", []string{"a.wav", "b.wav"}, []string{"A.", "B."}, "a.wav=A.|b.wav=B."},
		{"audio without text", []string{"a.wav"}, nil, "error: 1 --reply-wav but 0 --reply-text"},
		{"texts without audio", nil, []string{"A.", "B."}, "error: several --reply-text need as many --reply-wav"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			replies, err := replyScript(tc.wavs, tc.texts)
			var got string
			if err != nil {
				got = "error: " + err.Error()
			} else {
				var pairs []string
				for _, r := range replies {
					pairs = append(pairs, r.WAV+"="+r.Text)
				}
				got = strings.Join(pairs, "|")
			}
			if !strings.HasPrefix(got, tc.want) {
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
