package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// runTokenCmd runs `webcall token` with args and env, through the command
// alone (no redaction): what the command itself prints.
func runTokenCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newTokenCmd(&streams{Out: &out, ErrOut: &errOut, Getenv: envOf(env)})
	cmd.SetArgs(args)
	cmd.SetOut(&errOut)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func verifyToken(t *testing.T, tok string) *auth.ClaimGrants {
	t.Helper()
	v, err := auth.ParseAPIToken(tok)
	if err != nil {
		t.Fatalf("printed token does not parse: %v", err)
	}
	if v.APIKey() != credTestKey {
		t.Errorf("token issued by %q", v.APIKey())
	}
	_, g, err := v.Verify(credTestSecret)
	if err != nil {
		t.Fatalf("printed token does not verify with the secret: %v", err)
	}
	return g
}

func TestTokenCmdPlain(t *testing.T) {
	env := map[string]string{envAPIKey: credTestKey, envAPISecret: credTestSecret}
	out, errOut, err := runTokenCmd(t, env, "--room", "support-1", "--identity", "alice", "--name", "Alice",
		"--participant-metadata", `{"plan":"pro"}`, "--attribute", "lang=en", "--agent-name", "my-agent", "--agent-metadata", "hi",
		"--can-publish-data=false", "--can-update-metadata", "--hidden")
	if err != nil {
		t.Fatal(err)
	}
	if errOut != "" {
		t.Errorf("stderr = %q", errOut)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("stdout is not one line: %q", out)
	}
	g := verifyToken(t, strings.TrimSpace(out))
	if g.Identity != "alice" || g.Name != "Alice" || g.Metadata != `{"plan":"pro"}` || g.Attributes["lang"] != "en" {
		t.Errorf("claims = %+v", g)
	}
	v := g.Video
	if !v.RoomJoin || v.Room != "support-1" || !v.Hidden || v.CanPublish != nil ||
		v.CanPublishData == nil || *v.CanPublishData || v.CanUpdateOwnMetadata == nil || !*v.CanUpdateOwnMetadata {
		t.Errorf("video grant = %+v", v)
	}
	if g.RoomConfig == nil || len(g.RoomConfig.Agents) != 1 || g.RoomConfig.Agents[0].AgentName != "my-agent" || g.RoomConfig.Agents[0].Metadata != "hi" {
		t.Errorf("room config = %+v", g.RoomConfig)
	}
}

func TestTokenCmdJSON(t *testing.T) {
	env := map[string]string{envAPIKey: credTestKey, envAPISecret: credTestSecret, envURL: "https://example.livekit.cloud"}
	before := time.Now()
	out, _, err := runTokenCmd(t, env, "--json", "--ttl", "1h", "--agent-name", "my-agent", "--agent")
	if err != nil {
		t.Fatal(err)
	}
	var got tokenOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout is not JSON: %q", out)
	}
	g := verifyToken(t, got.Token)
	if got.URL != "wss://example.livekit.cloud" || got.AgentName != "my-agent" ||
		!strings.HasPrefix(got.Room, "webcall-") || got.Room != g.Video.Room ||
		!strings.HasPrefix(got.Identity, "webcall-user-") || got.Identity != g.Identity || !g.Video.Agent {
		t.Errorf("output = %+v, grants %+v", got, g.Video)
	}
	exp, err := time.Parse(time.RFC3339, got.ExpiresAt)
	if err != nil {
		t.Fatal(err)
	}
	if d := exp.Sub(before); d < time.Hour-2*time.Second || d > time.Hour+2*time.Second {
		t.Errorf("expires %s after now, want 1h", d)
	}
	var keys map[string]any
	json.Unmarshal([]byte(out), &keys)
	if _, ok := keys["name"]; ok {
		t.Error("empty name is printed")
	}
}

func TestTokenCmdErrors(t *testing.T) {
	keys := map[string]string{envAPIKey: credTestKey, envAPISecret: credTestSecret}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
		hint string // "" when the message itself names the flag
	}{
		{"no keys", nil, nil, "minting a token needs an API key and its secret", "--api-key"},
		{"no secret", map[string]string{envAPIKey: credTestKey}, nil, "an API key was given without its API secret", envAPISecret},
		{"no key", map[string]string{envAPISecret: credTestSecret}, nil, "an API secret was given without its API key", "--api-key"},
		{"zero ttl", keys, []string{"--ttl", "0s"}, "--ttl must be positive", "--ttl 30m"},
		{"negative ttl", keys, []string{"--ttl", "-1m"}, "the token lifetime must be positive (got -1m0s)", "--ttl"},
		{"bad url", keys, []string{"--url", "example.com"}, `the server URL "example.com" has no scheme`, "--url"},
		{"agent metadata alone", keys, []string{"--agent-metadata", "x"}, "agent metadata was given without an agent name", "--agent-name"},
		{"bad attribute", keys, []string{"--attribute", "=x"}, `--attribute "=x" is not key=value`, ""},
		{"argument", keys, []string{"extra"}, `unknown command "extra"`, ""},
	}
	for _, tt := range tests {
		out, errOut, err := runTokenCmd(t, tt.env, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			continue
		}
		if hint := hintFor(err); !strings.Contains(hint, tt.hint) {
			t.Errorf("%s: hint %q does not name %s", tt.name, hint, tt.hint)
		}
		if tt.name != "argument" && failure.KindOf(err) != failure.Usage {
			t.Errorf("%s: kind %v", tt.name, failure.KindOf(err))
		}
		if out != "" {
			t.Errorf("%s: stdout %q on error", tt.name, out)
		}
		assertNoSecret(t, err.Error()+failure.HintOf(err)+errOut)
	}
}

// TestTokenCmdThroughMain runs `webcall token` as the user does, with
// stdout and stderr going through redaction: the token must come out
// whole, the secret never, and a secret given as a flag draws a warning.
func TestTokenCmdThroughMain(t *testing.T) {
	r := runMain(t, map[string]string{envAPIKey: credTestKey}, "token", "--api-secret", credTestSecret, "--room", "r1")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	verifyToken(t, strings.TrimSpace(r.stdout))
	if !strings.Contains(r.stderr, "--api-secret given on the command line is visible to other local users") {
		t.Errorf("stderr = %q", r.stderr)
	}
	assertNoSecret(t, r.stdout+r.stderr)

	r = runMain(t, nil, "token", "--api-secret", credTestSecret)
	if r.code != exitUsage || !strings.Contains(r.stderr, "an API secret was given without its API key") ||
		!strings.Contains(r.stderr, "hint: give the key with --api-key") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	assertNoSecret(t, r.stdout+r.stderr)
}
