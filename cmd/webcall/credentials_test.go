package main

import (
	"bytes"
	"context"
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
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		want     string // "static" or "minted"
		wantURL  string
		wantRoom string
		errKind  failure.Kind
		errMsg   string
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
			errKind: failure.Usage, errMsg: "an API key was given without its API secret"},
		{name: "secret without key", args: []string{"--url", "ws://h"}, env: map[string]string{envAPISecret: credTestSecret},
			errKind: failure.Usage, errMsg: "an API secret was given without its API key"},
		{name: "no url with token", env: map[string]string{envToken: mintedTok},
			errKind: failure.Usage, errMsg: "no LiveKit server URL given"},
		{name: "no url with key", env: map[string]string{envAPIKey: credTestKey, envAPISecret: credTestSecret},
			errKind: failure.Usage, errMsg: "no LiveKit server URL given"},
		{name: "nothing", errKind: failure.Usage, errMsg: "no credentials for the call"},
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
				if failure.HintOf(err) == "" {
					t.Error("no hint says what to do")
				}
				assertNoSecret(t, err.Error()+failure.HintOf(err), mintedTok)
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
