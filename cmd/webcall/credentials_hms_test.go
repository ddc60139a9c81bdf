package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
	"github.com/webcall-cli/webcall/pkg/token/hmstest"
)

const (
	hmsTestKey       = "hms_live_cmdtest_5e6f7a8b9c0d1e2f3a4b"
	hmsTestAssistant = "17a0cb75-fa09-4bdd-9a44-92a70d829c88"
)

func newHMSFake(t *testing.T) *hmstest.Server {
	s := hmstest.New(hmstest.Options{APIKey: hmsTestKey, Assistants: []string{hmsTestAssistant}})
	t.Cleanup(s.Close)
	return s
}

// TestHMSFromFlags: each mode, metadata passthrough and every way to give
// the key, from the command's flags to the request the API receives.
func TestHMSFromFlags(t *testing.T) {
	dir := t.TempDir()
	overrideFile := filepath.Join(dir, "override.json")
	os.WriteFile(overrideFile, []byte(`{"first_message":"Welcome!","metadata":{"Plan":"pro"}}`), 0o600)
	keyFile := filepath.Join(dir, "hms.key")
	os.WriteFile(keyFile, []byte(hmsTestKey+"\n"), 0o600)
	openKeyFile := filepath.Join(dir, "open.key")
	os.WriteFile(openKeyFile, []byte(hmsTestKey), 0o644)
	os.Chmod(openKeyFile, 0o644) // whatever the umask

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // JSON body the API receives
		warn string
	}{
		{name: "reference, key from env", args: []string{"--assistant-id", hmsTestAssistant},
			env: map[string]string{envHMSKey: hmsTestKey}, want: `{"assistant_id":"` + hmsTestAssistant + `"}`},
		{name: "hybrid from file with mixed-case metadata, key file",
			args: []string{"--assistant-id", hmsTestAssistant, "--assistant-override", "@" + overrideFile, "--api-key-file", keyFile,
				"--metadata", "UserID=42", "--metadata", "session_id=ses_9d4e3c2b", "--metadata", "crmRef=a=b"},
			want: `{"assistant_id":"` + hmsTestAssistant + `","assistant_override":{"first_message":"Welcome!",` +
				`"metadata":{"Plan":"pro","UserID":"42","session_id":"ses_9d4e3c2b","crmRef":"a=b"}}}`},
		{name: "transient inline, key flag warns",
			args: []string{"--assistant", `{"stt_config":{"provider":"deepgram"},"llm_config":{"provider":"openai"},"tts_config":{"provider":"elevenlabs"}}`,
				"--api-key", hmsTestKey, "--metadata", "User_ID=u1"},
			want: `{"assistant":{"stt_config":{"provider":"deepgram"},"llm_config":{"provider":"openai"},"tts_config":{"provider":"elevenlabs"},"metadata":{"User_ID":"u1"}}}`,
			warn: "warning: --api-key given on the command line is visible to other local users (ps); set HMS_API_KEY or use --api-key-file instead"},
		{name: "key file readable by others warns", args: []string{"--assistant-id", hmsTestAssistant, "--api-key-file", openKeyFile},
			want: `{"assistant_id":"` + hmsTestAssistant + `"}`,
			warn: "warning: the key file " + openKeyFile + " can be read by other users (mode 0644); run chmod 600 " + openKeyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newHMSFake(t)
			o := parseCredentialFlags(t, append([]string{"--provider", "hms", "--api-base", fake.URL}, tt.args...)...)
			var warn bytes.Buffer
			src, err := o.source(envOf(tt.env), &warn)
			if err != nil {
				t.Fatal(err)
			}
			c, err := src.Fetch(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if c.Provider != "hms" || c.CallID == "" || c.Room == "" || c.MaxDuration != 5*time.Minute {
				t.Errorf("credentials = %+v", c)
			}
			reqs := fake.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			got, _ := json.Marshal(reqs[0].Body)
			var g, w any
			json.Unmarshal(got, &g)
			json.Unmarshal([]byte(tt.want), &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("request body\n got %s\nwant %s", got, tt.want)
			}
			if reqs[0].Header.Get("Authorization") != "Bearer "+hmsTestKey {
				t.Error("the key did not reach the API as a bearer token")
			}
			if tt.warn != "" && !strings.Contains(warn.String(), tt.warn) {
				t.Errorf("warnings %q, want %q", warn.String(), tt.warn)
			}
			if tt.warn == "" && warn.Len() != 0 {
				t.Errorf("unexpected warning %q", warn.String())
			}
			assertNoSecret(t, warn.String(), hmsTestKey)
			if redact.String(hmsTestKey) != redact.Mask {
				t.Error("the HMS key is not registered for redaction")
			}
		})
	}
}

func TestHMSKeyProblems(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.key")
	os.WriteFile(empty, []byte("\n"), 0o600)
	two := filepath.Join(dir, "two.key")
	os.WriteFile(two, []byte("one\ntwo\n"), 0o600)
	tests := []struct {
		name string
		args []string
		kind failure.Kind
		want string
	}{
		{"no key", nil, failure.Usage, "no HMS API key given"},
		{"missing file", []string{"--api-key-file", filepath.Join(dir, "nope")}, failure.Input, `cannot read the key file "` + filepath.Join(dir, "nope") + `" given to --api-key-file: no such file or directory`},
		{"empty file", []string{"--api-key-file", empty}, failure.Input, "is empty"},
		{"two lines", []string{"--api-key-file", two}, failure.Input, "has more than one line"},
	}
	for _, tt := range tests {
		o := parseCredentialFlags(t, append([]string{"--provider", "hms", "--assistant-id", hmsTestAssistant}, tt.args...)...)
		_, err := o.source(envOf(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) || failure.KindOf(err) != tt.kind {
			t.Errorf("%s: err = %v (kind %v), want %v %q", tt.name, err, failure.KindOf(err), tt.kind, tt.want)
		}
		if tt.name == "no key" && !strings.Contains(hintFor(err), envHMSKey) {
			t.Errorf("no key: hint %q does not say where the key goes", hintFor(err))
		}
	}
}

// TestHMSCallErrorsThroughMain runs `webcall call --provider hms` as a user
// does, against an API that behaves as documented, for each error status:
// the message on stderr, the JSON error event, the exit code, and no key
// anywhere in the output, even at the most verbose log level.
func TestHMSCallErrorsThroughMain(t *testing.T) {
	const poorKey = "hms_live_cmdtest_nocredit_00000000000"
	tests := []struct {
		name    string
		key     string
		args    []string
		prepare func(*hmstest.Server)
		code    int
		kind    string
		msg     string
		hint    string // the command's advice, on stderr and in the JSON error event
	}{
		{name: "400 checked locally", key: hmsTestKey, args: []string{"--assistant-override", `{"first_message":"hi"}`},
			code: exitUsage, kind: "usage", msg: "HMS would refuse this web call: assistant_override requires assistant_id", hint: "pass --assistant-id"},
		{name: "401", key: "hms_live_cmdtest_unknown_key_0000000", args: []string{"--assistant-id", hmsTestAssistant},
			code: exitAuth, kind: "auth", msg: "HMS did not accept the API key (401 Unauthorized: Invalid API key)", hint: "--api-key-file"},
		{name: "402", key: poorKey, args: []string{"--assistant-id", hmsTestAssistant},
			code: exitRejected, kind: "rejected", msg: "the organization has no credits left to start a web call", hint: "top up"},
		{name: "403", key: hmsTestKey, args: []string{"--assistant-id", "2b4c6d8e-0000-4000-8000-000000000001"},
			code: exitRejected, kind: "rejected", msg: "assistant 2b4c6d8e-0000-4000-8000-000000000001 was not found or does not belong to this organization", hint: "check --assistant-id"},
		{name: "429", key: hmsTestKey, args: []string{"--assistant-id", hmsTestAssistant},
			prepare: func(s *hmstest.Server) {
				src := token.HMS{APIBase: s.URL, APIKey: hmsTestKey, AssistantID: hmsTestAssistant}
				for range token.HMSMaxConcurrentCalls {
					if _, err := src.Fetch(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			},
			code: exitBusy, kind: "busy", msg: "the organization already has its maximum of 3 concurrent web calls", hint: "wait for a running call to end"},
		{name: "500", key: hmsTestKey, args: []string{"--assistant-id", hmsTestAssistant},
			prepare: func(s *hmstest.Server) { s.Fail500("voice room service unavailable") },
			code:    exitConnect, kind: "connect", msg: "HMS failed to create the web call (500 Internal Server Error: Failed to create web call session: voice room service unavailable)",
			hint: "try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := hmstest.New(hmstest.Options{APIKey: hmsTestKey, NoCreditsKey: poorKey, Assistants: []string{hmsTestAssistant}})
			defer fake.Close()
			if tt.prepare != nil {
				tt.prepare(fake)
			}
			args := append([]string{"call", "--provider", "hms", "--api-base", fake.URL, "--input", repoFile("audio", "hello.wav"),
				"--format", "json", "-vv"}, tt.args...)
			r := runMain(t, map[string]string{envHMSKey: tt.key}, args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d\nstderr: %s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("stderr does not say %q:\n%s", tt.msg, r.stderr)
			}
			if !strings.Contains(r.stderr, "hint: ") || !strings.Contains(r.stderr, tt.hint) {
				t.Errorf("stderr has no hint with %q:\n%s", tt.hint, r.stderr)
			}
			if tt.code != exitUsage {
				var ev struct {
					Type, Kind, Message, Hint string
					Code                      int
				}
				lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
				json.Unmarshal([]byte(lines[len(lines)-1]), &ev)
				if ev.Type != "error" || ev.Kind != tt.kind || ev.Code != tt.code || !strings.Contains(ev.Message, tt.msg) || !strings.Contains(ev.Hint, tt.hint) {
					t.Errorf("last JSON event = %s", lines[len(lines)-1])
				}
			}
			noStackTrace(t, r)
			assertNoSecret(t, r.stdout+r.stderr, tt.key, hmsTestKey, poorKey)
		})
	}
}
