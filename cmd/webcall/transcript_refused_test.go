package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A --transcript file that could not be written is refused before
// connecting (the URL is a closed port: trying would say so), with what
// to do, and nothing is left behind.
func TestTranscriptFileRefused(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "secret"}
	for _, c := range []struct {
		name, path string
		want       []string
	}{
		{"unknown extension", filepath.Join(dir, "call.srt"), []string{"--transcript", ".srt", ".json, .txt, .vtt"}},
		{"no extension", filepath.Join(dir, "call"), []string{"--transcript", "no extension", ".vtt"}},
		{"missing directory", filepath.Join(dir, "nope", "call.json"), []string{"--transcript", "does not exist", "existing directory"}},
		{"a file as directory", filepath.Join(notDir, "call.json"), []string{"is not a directory"}},
		{"a directory", dir + "/", []string{"--transcript"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := filepath.Join(dir, "call.wav")
			r := runMain(t, env, "call", "--input", repoFile("audio", "hello.wav"), "--output", filepath.Join(dir, "out.wav"),
				"--record", rec, "--transcript", filepath.Join(dir, "ok.json"), "--transcript", c.path)
			if r.code != exitUsage {
				t.Fatalf("exit code %d, want %d\nstderr: %s", r.code, exitUsage, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "connect") {
				t.Errorf("tried to connect:\n%s", r.stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("files left behind: %v", entries)
			}
			noStackTrace(t, r)
		})
	}
}

// A call that never connected leaves no transcript, as it leaves no WAV.
func TestTranscriptNotWrittenWithoutACall(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "secret"}
	r := runMain(t, env, "call", "--input", repoFile("audio", "hello.wav"), "--output", filepath.Join(dir, "out.wav"),
		"--connect-timeout", "3s", "--transcript", filepath.Join(dir, "call.json"), "--transcript", filepath.Join(dir, "call.vtt"))
	if r.code != exitConnect {
		t.Fatalf("exit code %d, want %d\nstderr: %s", r.code, exitConnect, r.stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a call that never connected left %v", entries)
	}
}
