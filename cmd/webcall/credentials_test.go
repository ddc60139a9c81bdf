package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
	"github.com/webcall-cli/webcall/pkg/token/hmstest"
)

const (
	credTestSecret = "cred-test-api-secret-value"
	credTestKey    = "APIcredtestkey"
)

// parseCredentialFlags runs args through the real flag set, so the tests
// cover flag names and parsing as well as the selection logic.
func parseCredentialFlags(t *testing.T, args ...string) *credentialOptions {
	t.Helper()
	var o credentialOptions
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	addCredentialFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return &o
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestCredentialSourceSelection(t *testing.T) {
	mintedTok, _, err := token.Minted{APIKey: credTestKey, APISecret: credTestSecret}.Mint()
	if err != nil {
		t.Fatal(err)
	}
	// Unsigned: only the expiry matters here.
	expiredTok := "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1700000000}`)) + ".c2ln"
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		want     string // "static" or "minted"
		wantURL  string
		wantRoom string
		errKind  failure.Kind
		errMsg   string
		hint     string // the command's advice names this flag
		warn     string
	}{
		{name: "token from env", env: map[string]string{envURL: "wss://env.example", envToken: mintedTok},
			want: "static", wantURL: "wss://env.example"},
		{name: "key and secret from env", env: map[string]string{envURL: "https://env.example", envAPIKey: credTestKey, envAPISecret: credTestSecret},
			want: "minted", wantURL: "wss://env.example"},
		{name: "flag url wins over env", args: []string{"--url", "ws://127.0.0.1:7880"},
			env:  map[string]string{envURL: "wss://env.example", envToken: mintedTok},
			want: "static", wantURL: "ws://127.0.0.1:7880"},
		{name: "flag token wins over env key", args: []string{"--token", mintedTok},
			env:  map[string]string{envURL: "wss://env.example", envAPIKey: credTestKey, envAPISecret: credTestSecret},
			want: "static", warn: "--token given on the command line is visible to other local users"},
		{name: "flag key wins over env token, secret from env", args: []string{"--api-key", credTestKey, "--room", "lobby", "--agent-name", "bot"},
			env:  map[string]string{envURL: "wss://env.example", envToken: mintedTok, envAPISecret: credTestSecret},
			want: "minted", wantRoom: "lobby"},
		{name: "secret flag warns", args: []string{"--url", "ws://h", "--api-key", credTestKey, "--api-secret", credTestSecret},
			want: "minted", warn: "--api-secret given on the command line is visible to other local users (ps); set LIVEKIT_API_SECRET instead"},
		{name: "token and key flags", args: []string{"--token", mintedTok, "--api-key", credTestKey},
			errKind: failure.Usage, errMsg: "--token and --api-key/--api-secret both given"},
		{name: "token and key in env", env: map[string]string{envURL: "ws://h", envToken: mintedTok, envAPIKey: credTestKey},
			errKind: failure.Usage, errMsg: "both LIVEKIT_TOKEN and LIVEKIT_API_KEY/LIVEKIT_API_SECRET are set"},
		{name: "room with token", args: []string{"--url", "ws://h", "--room", "lobby"}, env: map[string]string{envToken: mintedTok},
			errKind: failure.Usage, errMsg: "--room has no effect with a ready token"},
		{name: "agent name with token", args: []string{"--url", "ws://h", "--agent-name", "bot"}, env: map[string]string{envToken: mintedTok},
			errKind: failure.Usage, errMsg: "--agent-name has no effect with a ready token"},
		{name: "key without secret", args: []string{"--url", "ws://h", "--api-key", credTestKey},
			errKind: failure.Usage, errMsg: "an API key was given without its API secret", hint: "--api-secret"},
		{name: "secret without key", args: []string{"--url", "ws://h"}, env: map[string]string{envAPISecret: credTestSecret},
			errKind: failure.Usage, errMsg: "an API secret was given without its API key", hint: "--api-key"},
		{name: "no url with token", env: map[string]string{envToken: mintedTok},
			errKind: failure.Usage, errMsg: "no LiveKit server URL given", hint: "--url"},
		{name: "no url with key", env: map[string]string{envAPIKey: credTestKey, envAPISecret: credTestSecret},
			errKind: failure.Usage, errMsg: "no LiveKit server URL given", hint: "--url"},
		{name: "nothing", errKind: failure.Usage, errMsg: "no credentials for the call", hint: "--token-endpoint"},
		{name: "bad url", args: []string{"--url", "127.0.0.1:7880"}, env: map[string]string{envToken: mintedTok},
			errKind: failure.Usage, errMsg: `the server URL "127.0.0.1:7880" has no scheme`, hint: "--url"},
		{name: "bad url when minting", args: []string{"--url", "ftp://h", "--api-key", credTestKey, "--api-secret", credTestSecret},
			errKind: failure.Usage, errMsg: `the server URL "ftp://h" has scheme "ftp"`, hint: "--url"},
		{name: "expired token", env: map[string]string{envURL: "ws://h", envToken: expiredTok},
			errKind: failure.Auth, errMsg: "the token expired at", hint: "--api-key"},
		{name: "not a token", env: map[string]string{envURL: "ws://h", envToken: credTestSecret},
			errKind: failure.Usage, errMsg: "the token is not a LiveKit access token", hint: "--token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := parseCredentialFlags(t, tt.args...)
			var warn bytes.Buffer
			src, err := o.source(envOf(tt.env), &warn)
			if tt.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMsg) {
					t.Fatalf("err = %v, want %q", err, tt.errMsg)
				}
				if k := failure.KindOf(err); k != tt.errKind {
					t.Errorf("kind = %v, want %v", k, tt.errKind)
				}
				if hint := hintFor(err); hint == "" || !strings.Contains(hint, tt.hint) {
					t.Errorf("hint %q does not say what to do with %s", hint, tt.hint)
				}
				assertNoSecret(t, err.Error()+hintFor(err), mintedTok)
				return
			}
			if err != nil {
				t.Fatalf("source: %v", err)
			}
			inner := src.(redacting).Source
			switch inner.(type) {
			case token.Static:
				if tt.want != "static" {
					t.Errorf("got a literal token source, want %s", tt.want)
				}
			case token.Minted:
				if tt.want != "minted" {
					t.Errorf("got a minting source, want %s", tt.want)
				}
			}
			c, err := src.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if tt.wantURL != "" && c.URL != tt.wantURL {
				t.Errorf("URL = %q, want %q", c.URL, tt.wantURL)
			}
			if tt.wantRoom != "" && c.Room != tt.wantRoom {
				t.Errorf("room = %q, want %q", c.Room, tt.wantRoom)
			}
			if tt.warn != "" && !strings.Contains(warn.String(), tt.warn) {
				t.Errorf("warning %q does not contain %q", warn.String(), tt.warn)
			}
			if tt.warn == "" && warn.Len() > 0 {
				t.Errorf("unexpected warning %q", warn.String())
			}
			assertNoSecret(t, warn.String(), mintedTok)
			// Every secret seen and every token handed out is redacted.
			secrets := c.Token
			if tt.want == "minted" {
				secrets += " " + credTestKey + " " + credTestSecret
			}
			if got := redact.String(secrets); strings.Trim(strings.ReplaceAll(got, redact.Mask, ""), " ") != "" {
				t.Errorf("secrets not registered for redaction: %q", got)
			}
		})
	}
}

func TestMintedSourceCarriesDispatch(t *testing.T) {
	o := parseCredentialFlags(t, "--url", "ws://127.0.0.1:7880", "--api-key", credTestKey, "--identity", "me",
		"--name", "Me", "--agent-name", "test-agent", "--agent-metadata", `{"a":1}`)
	src, err := o.source(envOf(map[string]string{envAPISecret: credTestSecret}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	claims, err := token.ParseClaims(c.Token)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Identity != "me" || claims.Name != "Me" || len(claims.Agents) != 1 || claims.Agents[0] != "test-agent" {
		t.Errorf("claims = %+v", claims)
	}
}

// assertNoSecret fails if s holds any of the test secrets.
func assertNoSecret(t *testing.T, s string, more ...string) {
	t.Helper()
	for _, secret := range append([]string{credTestSecret, credTestKey}, more...) {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("output holds a secret: %q", s)
		}
	}
}

func TestCredentialModeConflicts(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
		hint string // "" when the message itself names the flags
	}{
		{"unknown provider", []string{"--provider", "vapi"}, `unknown --provider "vapi"`, ""},
		{"provider and endpoint", []string{"--provider", "hms", "--token-endpoint", "http://x"}, "--provider and --token-endpoint both given", ""},
		{"provider with url", []string{"--provider", "hms", "--url", "wss://x"}, "--url has no effect with --provider hms", ""},
		{"provider with token", []string{"--provider", "hms", "--token", "a.b.c"}, "--token has no effect with --provider hms", ""},
		{"provider with room", []string{"--provider", "hms", "--room", "r"}, "--room has no effect with --provider hms", ""},
		{"provider with header", []string{"--provider", "hms", "-H", "A: b"}, "--header has no effect with --provider hms", ""},
		{"endpoint with token", []string{"--token-endpoint", "http://x", "--token", "a.b.c"}, "--token has no effect with --token-endpoint", ""},
		{"endpoint with api key", []string{"--token-endpoint", "http://x", "--api-key", "k"}, "--api-key has no effect with --token-endpoint", ""},
		{"endpoint with assistant", []string{"--token-endpoint", "http://x", "--assistant-id", hmsTestAssistant}, "--assistant-id needs --provider hms", ""},
		{"data with room", []string{"--token-endpoint", "http://x", "--data", "{}", "--room", "r"}, "--room has no effect with --data", ""},
		{"assistant without provider", []string{"--assistant-id", hmsTestAssistant}, "--assistant-id needs --provider hms", ""},
		{"metadata without provider", []string{"--metadata", "a=b"}, "--metadata needs --provider hms", ""},
		{"header without endpoint", []string{"-H", "A: b"}, "--header needs --token-endpoint", ""},
		{"data without endpoint", []string{"--data", "{}"}, "--data needs --token-endpoint", ""},
		{"endpoint not http", []string{"--token-endpoint", "ftp://x"}, "the token endpoint ftp://x is not an http:// or https:// URL", "--token-endpoint https://"},
		{"endpoint bad server url", []string{"--token-endpoint", "http://x", "--url", "x:7880"}, `the server URL "x:7880" has no scheme`, "--url"},
		{"endpoint data not json", []string{"--token-endpoint", "http://x", "--data", `{"room_name":}`}, "the token request body is not valid JSON (syntax error at byte 14)", "--data"},
		{"endpoint data blank", []string{"--token-endpoint", "http://x", "--data", " "}, "the token request body is not valid JSON (it is empty)", "--data"},
		{"endpoint agent metadata alone", []string{"--token-endpoint", "http://x", "--agent-metadata", "{}"}, "agent metadata was given without an agent name", "--agent-name"},
		{"bad header", []string{"--token-endpoint", "http://x", "-H", "Authorization Bearer abc"}, "-H value 1 is not a header of the form 'Name: value'", ""},
		{"bad attribute", []string{"--token-endpoint", "http://x", "--attribute", "novalue"}, `--attribute "novalue" is not key=value`, ""},
		{"agent metadata alone", []string{"--url", "ws://x", "--api-key", "k", "--api-secret", "s", "--agent-metadata", "{}"}, "agent metadata was given without an agent name", "--agent-name"},
		{"hms override without id", []string{"--provider", "hms", "--assistant-override", "{}"}, "HMS would refuse this web call: assistant_override requires assistant_id", "--assistant-id"},
		{"hms nothing", []string{"--provider", "hms"}, "HMS would refuse this web call: Must provide assistant_id, assistant, or both", "--assistant"},
		{"hms id not a uuid", []string{"--provider", "hms", "--assistant-id", "support-bot"}, `the assistant id "support-bot" is not a UUID`, "--assistant-id"},
		{"hms duplicate metadata", []string{"--provider", "hms", "--assistant-id", hmsTestAssistant, "--metadata", "a=1", "--metadata", "a=2"}, `--metadata gives the key "a" twice`, ""},
		{"hms bad json", []string{"--provider", "hms", "--assistant", "{stt"}, "the inline assistant is not valid JSON (syntax error at byte 2)", "--assistant"},
		{"hms override not an object", []string{"--provider", "hms", "--assistant-id", hmsTestAssistant, "--assistant-override", "[]"}, "the assistant override is not a JSON object", "--assistant-override"},
		{"hms override blank", []string{"--provider", "hms", "--assistant-id", hmsTestAssistant, "--assistant-override", " "}, "the assistant override is not valid JSON (it is empty)", "--assistant-override"},
		{"hms missing file", []string{"--provider", "hms", "--assistant", "@/nonexistent/a.json"}, `cannot read the file "/nonexistent/a.json" given to --assistant: no such file or directory`, ""},
		{"hms key flag and file", []string{"--provider", "hms", "--api-key", "k", "--api-key-file", "f"}, "--api-key and --api-key-file both given", ""},
		{"hms plain http api base", []string{"--provider", "hms", "--assistant-id", hmsTestAssistant, "--api-base", "http://api.example.com"},
			`the HMS API base "http://api.example.com" uses plain http`, "--api-base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := parseCredentialFlags(t, tt.args...)
			_, err := o.source(envOf(map[string]string{envHMSKey: hmsTestKey}), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if k := exitCode(err); k != exitUsage {
				t.Errorf("exit code %d, want %d (usage)", k, exitUsage)
			}
			if hint := hintFor(err); !strings.Contains(hint, tt.hint) {
				t.Errorf("hint %q does not name %s", hint, tt.hint)
			}
			assertNoSecret(t, err.Error()+hintFor(err), hmsTestKey)
		})
	}
}

// TestEndpointFromFlags drives a token endpoint in LiveKit's convention
// from the command's flags.
func TestEndpointFromFlags(t *testing.T) {
	var gotBody []byte
	var gotHeader http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		gotHeader = r.Header.Clone()
		tok, _, _ := token.Minted{APIKey: credTestKey, APISecret: credTestSecret, Room: "from-endpoint"}.Mint()
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"participant_token": tok})
	}))
	defer srv.Close()

	dir := t.TempDir()
	headerFile := filepath.Join(dir, "headers")
	os.WriteFile(headerFile, []byte("# backend auth\nX-Api-Key: file-header-secret-1\n\nX-Tenant: acme\n"), 0o600)

	o := parseCredentialFlags(t, "--token-endpoint", srv.URL+"/api/token", "--url", "http://127.0.0.1:7880",
		"-H", "Authorization: Bearer inline-header-secret-2", "-H", "@"+headerFile,
		"--room", "support", "--identity", "caller", "--name", "Caller", "--participant-metadata", `{"plan":"pro"}`,
		"--attribute", "lang=de", "--attribute", "Source=cli", "--agent-name", "support-agent", "--agent-metadata", `{"x":1}`)
	var warn bytes.Buffer
	src, err := o.source(envOf(nil), &warn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != "ws://127.0.0.1:7880" || c.Room != "from-endpoint" {
		t.Errorf("credentials = %+v", c)
	}
	var body map[string]any
	json.Unmarshal(gotBody, &body)
	want := map[string]any{
		"room_name": "support", "participant_identity": "caller", "participant_name": "Caller",
		"participant_metadata":   `{"plan":"pro"}`,
		"participant_attributes": map[string]any{"lang": "de", "Source": "cli"},
		"room_config":            map[string]any{"agents": []any{map[string]any{"agent_name": "support-agent", "metadata": `{"x":1}`}}},
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("request body = %s", gotBody)
	}
	if gotHeader.Get("Authorization") != "Bearer inline-header-secret-2" || gotHeader.Get("X-Api-Key") != "file-header-secret-1" ||
		gotHeader.Get("X-Tenant") != "acme" || !strings.HasPrefix(gotHeader.Get("User-Agent"), "webcall/") {
		t.Errorf("headers = %v", gotHeader)
	}
	if !strings.Contains(warn.String(), "the Authorization header given with -H is visible to other local users (ps); put it in a file and pass -H @file") ||
		strings.Contains(warn.String(), "X-Api-Key") {
		t.Errorf("warnings = %q: want one for the inline header only", warn.String())
	}
	if got := redact.String("inline-header-secret-2 file-header-secret-1 acme"); got != redact.Mask+" "+redact.Mask+" acme" {
		t.Errorf("credential headers not registered for redaction: %q", got)
	}

	// --data replaces the body, read from a file.
	dataFile := filepath.Join(dir, "body.json")
	os.WriteFile(dataFile, []byte(`{"assistant_id":"abc","user":"u1"}`+"\n"), 0o600)
	o = parseCredentialFlags(t, "--token-endpoint", srv.URL, "--data", "@"+dataFile, "--url", "wss://lk.example")
	src, err = o.source(envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if string(gotBody) != `{"assistant_id":"abc","user":"u1"}` {
		t.Errorf("--data body = %s", gotBody)
	}
}

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
