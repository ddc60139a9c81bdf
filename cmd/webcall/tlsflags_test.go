package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Both commands that connect take --ca-file and refuse a file they cannot
// use before anything else happens: the URL points at a closed port, so a
// connection attempt would fail with another message and exit code.
func TestCAFileRefusedBeforeConnecting(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "ca.pem")
	env := map[string]string{
		"LIVEKIT_URL":        "wss://127.0.0.1:1",
		"LIVEKIT_API_KEY":    "devkey",
		"LIVEKIT_API_SECRET": "secret",
	}
	for _, args := range [][]string{
		{"call", "--input", repoFile("audio", "hello.wav"), "--output", filepath.Join(t.TempDir(), "out.wav")},
		{"test", repoFile("scenarios")},
	} {
		t.Run(args[0], func(t *testing.T) {
			r := runMain(t, env, append(args, "--ca-file", missing)...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitUsage, r.stderr)
			}
			want := "webcall: cannot use the CA file " + missing + ": no such file or directory\n  hint: give --ca-file a PEM file"
			if !strings.HasPrefix(r.stderr, want) {
				t.Errorf("stderr:\n%s\nwant it to start with:\n%s", r.stderr, want)
			}
		})
	}
}
