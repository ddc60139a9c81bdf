package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"

	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/token/hmstest"
)

// Keys long enough that redaction must hide them wherever they appear
// (the dev pair devkey/secret is too short to be masked).
const (
	longKey    = "APIwebcallE2Ekey7f3a9c"
	longSecret = "webcall-e2e-secret-5d1e8b2c4a6f9e0d7c3b"
)

func withKeys(key, secret string) lkserver.Option {
	return func(c *lkserver.Config) { c.APIKey, c.APISecret = key, secret }
}

// tokenEndpoint is the user's own backend in server-side initiation: it
// keeps the LiveKit key and hands out a short-lived token that dispatches
// the agent, in LiveKit's token-endpoint convention.
type tokenEndpoint struct {
	*httptest.Server
	mu     sync.Mutex
	tokens []string
	bodies []map[string]any
}

func newTokenEndpoint(t *testing.T, srv *lkserver.Server, agentName, bearer string) *tokenEndpoint {
	te := &tokenEndpoint{}
	te.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+bearer {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"detail": "sign in first"})
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		room, _ := body["room_name"].(string)
		if room == "" {
			// A fresh room per token, as a backend does: a kiosk's
			// next call must not find the last one's agent leaving.
			te.mu.Lock()
			room = fmt.Sprintf("endpoint-room-%d", len(te.tokens)+1)
			te.mu.Unlock()
		}
		identity, _ := body["participant_identity"].(string)
		if identity == "" {
			identity = "endpoint-user"
		}
		at := auth.NewAccessToken(srv.APIKey, srv.APISecret)
		at.SetIdentity(identity).SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room}).
			SetRoomConfig(&livekit.RoomConfiguration{Agents: []*livekit.RoomAgentDispatch{{AgentName: agentName}}})
		tok, err := at.ToJWT()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		te.mu.Lock()
		te.tokens = append(te.tokens, tok)
		te.bodies = append(te.bodies, body)
		te.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]string{"server_url": srv.URL, "participant_token": tok})
	}))
	t.Cleanup(te.Close)
	return te
}

// Server-side initiation: webcall asks the user's backend for the token,
// and the call goes through end to end.
func TestCallThroughTokenEndpoint(t *testing.T) {
	inParallel(t)
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := lkserver.Start(t, withKeys(longKey, longSecret))
	agent := startAgent(t, srv, "endpoint-agent")
	_ = agent
	const bearer = "user-session-cookie-0f9e8d7c6b5a"
	te := newTokenEndpoint(t, srv, "endpoint-agent", bearer)

	r := runBin(t, context.Background(), nil, "call", "--token-endpoint", te.URL,
		"-H", "Authorization: Bearer "+bearer, "--room", "my-support-room",
		"--input", repoFile("audio", "hello.wav"), "--format", "json", "-vv")
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", r.code, r.stderr)
	}
	evs := parseEvents(t, r.stdout)
	if got := finals(evs, event.SpeakerUser); len(got) != 1 || got[0].Text != heard {
		t.Errorf("user finals:\n%s", dumpEvents(got))
	}
	if got := finals(evs, event.SpeakerAgent); len(got) != 1 || got[0].Text != replyText {
		t.Errorf("agent finals:\n%s", dumpEvents(got))
	}
	if evs[0].Type != event.Connected || evs[0].Room != "my-support-room" {
		t.Errorf("first event %+v, want connected to my-support-room", evs[0])
	}
	te.mu.Lock()
	defer te.mu.Unlock()
	if len(te.bodies) != 1 || te.bodies[0]["room_name"] != "my-support-room" {
		t.Errorf("endpoint requests: %v", te.bodies)
	}
	// Nothing secret in anything printed, at the most verbose level: the
	// bearer credential, the token, the server's key and secret.
	assertNoSecrets(t, r, bearer, te.tokens[0], longSecret)
}

// Client-side initiation: webcall creates the call through the HMS
// Sovereign web-call API (a local stand-in that behaves as documented and
// signs its tokens for the local LiveKit server).
func TestCallThroughHMS(t *testing.T) {
	inParallel(t)
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := lkserver.Start(t, withKeys(longKey, longSecret))
	startAgent(t, srv, "hms-agent")
	const hmsKey = "hms_live_org_key_93b1c6e0a2f4d8"
	const assistant = "17a0cb75-fa09-4bdd-9a44-92a70d829c88"
	hms := hmstest.New(hmstest.Options{
		APIKey: hmsKey, Assistants: []string{assistant},
		ServerURL: srv.URL, LiveKitKey: srv.APIKey, LiveKitSecret: srv.APISecret,
		AgentName: "hms-agent",
	})
	defer hms.Close()

	r := runBin(t, context.Background(), map[string]string{"HMS_API_KEY": hmsKey},
		"call", "--provider", "hms", "--api-base", hms.URL, "--assistant-id", assistant,
		"--metadata", "UserID=usr_8f3a", "--input", repoFile("audio", "hello.wav"), "--format", "json", "-vv")
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", r.code, r.stderr)
	}
	evs := parseEvents(t, r.stdout)
	if evs[0].Type != event.Connected || evs[0].CallID == "" {
		t.Errorf("first event %+v, want connected with the call id", evs[0])
	}
	if got := finals(evs, event.SpeakerAgent); len(got) != 1 || got[0].Text != replyText {
		t.Errorf("agent finals:\n%s", dumpEvents(got))
	}
	// The countdown's marks (4m0s left, ... 10s left) come as they are
	// reached, after this short call is over; pkg/call's tests drive them
	// on a fake clock. Here: the cap is announced up front.
	if !strings.Contains(r.stderr, "the provider ends calls after 5m0s") {
		t.Errorf("the 5-minute cap is not shown:\n%s", r.stderr)
	}
	reqs := hms.Requests()
	if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body["assistant_override"]), `"UserID":"usr_8f3a"`) {
		t.Errorf("HMS requests: %+v", reqs)
	}
	assertNoSecrets(t, r, hmsKey)

	// A failing run at the most verbose level leaks nothing either.
	bad := runBin(t, context.Background(), map[string]string{"HMS_API_KEY": hmsKey + "x"},
		"call", "--provider", "hms", "--api-base", hms.URL, "--assistant-id", assistant,
		"--input", repoFile("audio", "hello.wav"), "--format", "json", "-vv")
	if bad.code != exitAuth {
		t.Fatalf("wrong key: exit code %d, want %d\nstderr:\n%s", bad.code, exitAuth, bad.stderr)
	}
	assertNoSecrets(t, bad, hmsKey, hmsKey+"x")
}

// A minted call with the key and secret in flags (which warns) and a
// failing one leak neither, even with the SDK's debug logs on.
func TestNoSecretsInOutput(t *testing.T) {
	inParallel(t)
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := lkserver.Start(t, withKeys(longKey, longSecret))
	startAgent(t, srv, "secret-agent")
	ok := runBin(t, context.Background(), nil, "call", "--url", srv.URL,
		"--api-key", srv.APIKey, "--api-secret", srv.APISecret, "--agent-name", "secret-agent",
		"--input", repoFile("audio", "hello.wav"), "--format", "json", "-vv")
	if ok.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", ok.code, ok.stderr)
	}
	if !strings.Contains(ok.stderr, "visible to other") {
		t.Errorf("no warning about a secret given as a flag:\n%s", ok.stderr)
	}
	assertNoSecrets(t, ok, longSecret)

	fail := runBin(t, context.Background(), nil, "call", "--url", srv.URL,
		"--api-key", srv.APIKey, "--api-secret", longSecret+"-wrong",
		"--input", repoFile("audio", "hello.wav"), "--format", "json", "-vv")
	if fail.code != exitAuth {
		t.Fatalf("wrong secret: exit code %d, want %d\nstderr:\n%s", fail.code, exitAuth, fail.stderr)
	}
	assertNoSecrets(t, fail, longSecret, longSecret+"-wrong")
}

func startAgent(t *testing.T, srv *lkserver.Server, name string) *testagent.Agent {
	t.Helper()
	a, err := testagent.Start(context.Background(), testagent.Options{
		URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret, AgentName: name,
		Heard: []string{heard}, ReplyText: replyText, ReplyWAV: repoFile("audio", "reply.wav"),
	})
	if err != nil {
		t.Fatalf("start the test agent: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func assertNoSecrets(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Errorf("a secret (%d chars, starting %q) appears in the output", len(s), s[:4])
		}
	}
	if len(r.stderr) < 200 {
		t.Errorf("suspiciously little output at -vv (%d bytes): the check proves nothing", len(r.stderr))
	}
}
