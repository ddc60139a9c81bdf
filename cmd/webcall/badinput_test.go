package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/livekit/protocol/auth"

	"github.com/webcall-cli/webcall/internal/lkserver"
)

// Bad input is reported before connecting, by name, with what was
// expected, a usage exit code, and no stack trace. The URL points at a
// closed port: if any of these tried to connect, the message would differ.
func TestBadInputFiles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"LIVEKIT_URL":        "ws://127.0.0.1:1",
		"LIVEKIT_API_KEY":    "devkey",
		"LIVEKIT_API_SECRET": "secret",
	}
	cases := []struct {
		name  string
		input string
		want  []string
	}{
		{"missing", filepath.Join(dir, "nope.wav"), []string{"nope.wav", "no such file"}},
		{"directory", dir, []string{filepath.Base(dir), "directory"}},
		{"empty", repoFile("audio", "empty.wav"), []string{"empty.wav", "empty"}},
		{"not audio", repoFile("audio", "notwav.wav"), []string{"notwav.wav", "not an audio file", "FLAC"}},
		{"truncated", repoFile("audio", "truncated.wav"), []string{"truncated.wav", "truncated"}},
		{"unsupported", repoFile("audio", "mulaw.wav"), []string{"mulaw.wav", "sox"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.wav")
			r := runMain(t, env, "call", "--input", c.input, "--output", out)
			if r.code != exitUsage {
				t.Fatalf("exit code %d, want %d\nstderr: %s", r.code, exitUsage, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(w)) {
					t.Errorf("stderr does not mention %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "connecting") {
				t.Errorf("tried to connect despite bad input:\n%s", r.stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output file left behind: %v", err)
			}
			assertNoPartFiles(t, filepath.Dir(out))
			noStackTrace(t, r)
		})
	}
}

func TestUsageErrors(t *testing.T) {
	hello := repoFile("audio", "hello.wav")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no url", nil, []string{"call", "--input", hello, "--api-key", "k", "--api-secret", "s"}, "--url"},
		{"no credentials", map[string]string{"LIVEKIT_URL": "ws://127.0.0.1:1"}, []string{"call", "--input", hello}, "token"},
		{"token and key", nil, []string{"call", "--input", hello, "--url", "ws://127.0.0.1:1", "--token", "a.b.c", "--api-key", "k", "--api-secret", "s"}, "--token"},
		{"bad format", map[string]string{"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_TOKEN": "x"}, []string{"call", "--input", hello, "--format", "xml"}, "--format"},
		{"unknown flag", nil, []string{"call", "--bogus"}, "--bogus"},
		{"unknown command", nil, []string{"cal"}, `unknown command "cal"`},
		{"stray argument", nil, []string{"call", "hello.wav"}, `"hello.wav"`},
		{"bad duration", nil, []string{"call", "--wait-agent", "soon"}, "--wait-agent"},
		{"bad url scheme", nil, []string{"call", "--input", hello, "--url", "ftp://x", "--api-key", "k", "--api-secret", "s"}, "ftp"},
		{"output dir missing", map[string]string{"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_API_KEY": "k", "LIVEKIT_API_SECRET": "s"},
			[]string{"call", "--input", hello, "--output", "/nonexistent/dir/out.wav"}, "/nonexistent/dir"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runMain(t, c.env, c.args...)
			if r.code != exitUsage {
				t.Fatalf("exit code %d, want %d\nstderr: %s", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, c.want) {
				t.Errorf("stderr does not mention %q:\n%s", c.want, r.stderr)
			}
			noStackTrace(t, r)
		})
	}
}

// An unreachable server fails within --connect-timeout, whether the port
// refuses at once or swallows the connection silently.
func TestUnreachableServer(t *testing.T) {
	inParallel(t)
	// A listener that accepts and never answers: the slow kind of failure.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	closed := closedPort(t)

	for _, c := range []struct {
		name, url, says string
	}{
		{"refused", "ws://" + closed, "could not connect"},
		// Something listens there: it is named as a server that does
		// not answer, not as one that cannot be reached.
		{"silent", "ws://" + ln.Addr().String(), "accepted the connection but never answered within 2s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.wav")
			r := runBin(t, context.Background(), map[string]string{"LIVEKIT_API_SECRET": "secret"},
				"call", "--url", c.url, "--api-key", "devkey", "--input", repoFile("audio", "hello.wav"),
				"--connect-timeout", "2s", "--output", out)
			if r.code != exitConnect {
				t.Fatalf("exit code %d, want %d\nstderr: %s", r.code, exitConnect, r.stderr)
			}
			if r.elapsed > 8*time.Second {
				t.Errorf("took %s with --connect-timeout 2s", r.elapsed)
			}
			if !strings.Contains(r.stderr, c.says) || !strings.Contains(r.stderr, "hint:") {
				t.Errorf("unclear message:\n%s", r.stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output file created for a call that never connected")
			}
			assertNoPartFiles(t, filepath.Dir(out))
			noStackTrace(t, r)
		})
	}
}

// A token the server rejects says so, with the server's reason; an expired
// one is refused before connecting, with the time it expired.
func TestRejectedAndExpiredTokens(t *testing.T) {
	srv := lkserver.Start(t)
	hello := repoFile("audio", "hello.wav")

	wrongKey := auth.NewAccessToken(srv.APIKey, "not-the-secret-at-all-not-the-secret")
	wrongKey.SetIdentity("u").SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: "r"})
	bad, err := wrongKey.ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	r := runBin(t, context.Background(), map[string]string{"LIVEKIT_TOKEN": bad},
		"call", "--url", srv.URL, "--input", hello, "--connect-timeout", "5s")
	if r.code != exitAuth {
		t.Fatalf("bad signature: exit code %d, want %d\nstderr: %s", r.code, exitAuth, r.stderr)
	}
	if !strings.Contains(r.stderr, "refused the token") {
		t.Errorf("bad signature: unclear message:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr+r.stdout, bad) {
		t.Errorf("the token was printed")
	}
	noStackTrace(t, r)

	// Signed with the server's own key, so only its age is wrong.
	old, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss":   srv.APIKey,
		"sub":   "u",
		"exp":   time.Now().Add(-3 * time.Minute).Unix(),
		"video": map[string]any{"roomJoin": true, "room": "r"},
	}).SignedString([]byte(srv.APISecret))
	if err != nil {
		t.Fatal(err)
	}
	r = runBin(t, context.Background(), map[string]string{"LIVEKIT_TOKEN": old},
		"call", "--url", srv.URL, "--input", hello)
	if r.code != exitAuth {
		t.Fatalf("expired: exit code %d, want %d\nstderr: %s", r.code, exitAuth, r.stderr)
	}
	if !strings.Contains(r.stderr, "expired at") {
		t.Errorf("expired: message does not say when:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "connecting") {
		t.Errorf("expired: tried to connect:\n%s", r.stderr)
	}
	noStackTrace(t, r)
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func assertNoPartFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".part") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
