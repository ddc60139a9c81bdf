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

	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
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
