package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/webcall-cli/webcall/pkg/failure"
)

const (
	testKey    = "APIdevkey123"
	testSecret = "s3cr3t-that-is-long-enough-for-hs256"
)

// fakeJWT builds an unsigned token with the given claims: CheckExpiry and
// ParseClaims never look at the signature.
func fakeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc(b) + ".c2ln"
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
		cond     error
	}{
		{in: "wss://example.livekit.cloud", want: "wss://example.livekit.cloud"},
		{in: "ws://127.0.0.1:7880", want: "ws://127.0.0.1:7880"},
		{in: "https://example.livekit.cloud/", want: "wss://example.livekit.cloud/"},
		{in: "http://localhost:7880", want: "ws://localhost:7880"},
		{in: "  HTTPS://Example.com  ", want: "wss://Example.com"},
		{in: "", wantErr: "no LiveKit server URL given", cond: ErrNoURL},
		{in: "localhost:7880", wantErr: `the server URL "localhost:7880" has no scheme`, cond: ErrBadURL},
		{in: "ftp://example.com", wantErr: `has scheme "ftp"`, cond: ErrBadURL},
		{in: "wss://", wantErr: "has no host", cond: ErrBadURL},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NormalizeURL(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			if failure.KindOf(err) != failure.Usage {
				t.Errorf("NormalizeURL(%q) kind = %v, want usage", tt.in, failure.KindOf(err))
			}
			if failure.HintOf(err) == "" {
				t.Errorf("NormalizeURL(%q) has no hint", tt.in)
			}
			assertDomainWords(t, err)
			if !errors.Is(err, tt.cond) {
				t.Errorf("NormalizeURL(%q) does not name the condition %q", tt.in, tt.cond)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCheckExpiry(t *testing.T) {
	exp := time.Date(2026, 11, 22, 10, 4, 5, 0, time.UTC)
	tok := fakeJWT(t, map[string]any{"exp": exp.Unix(), "sub": "alice"})
	tests := []struct {
		name    string
		token   string
		now     time.Time
		kind    failure.Kind
		wantMsg string
	}{
		{name: "valid", token: tok, now: exp.Add(-time.Second)},
		{name: "no exp", token: fakeJWT(t, map[string]any{"sub": "bob"}), now: exp},
		{name: "expired at exp", token: tok, now: exp, kind: failure.Auth,
			wantMsg: "the token expired at 2026-11-22 10:04:05 UTC (0s ago); get a fresh one"},
		{name: "expired minutes", token: tok, now: exp.Add(3*time.Minute + 10*time.Second), kind: failure.Auth,
			wantMsg: "the token expired at 2026-11-22 10:04:05 UTC (3m ago); get a fresh one"},
		{name: "expired hours", token: tok, now: exp.Add(2*time.Hour + 5*time.Minute), kind: failure.Auth,
			wantMsg: "(2h5m ago)"},
		{name: "expired days", token: tok, now: exp.Add(75 * time.Hour), kind: failure.Auth,
			wantMsg: "(3d ago)"},
		{name: "empty", token: "", kind: failure.Usage, wantMsg: "it is empty"},
		{name: "api secret pasted", token: "not-a-token-but-a-secret", kind: failure.Usage,
			wantMsg: "it has 1 dot-separated parts, a JWT has 3"},
		{name: "bad base64", token: "aaa.!!!.ccc", kind: failure.Usage, wantMsg: "not base64url"},
		{name: "not json", token: "aaa." + base64.RawURLEncoding.EncodeToString([]byte("hello")) + ".ccc",
			kind: failure.Usage, wantMsg: "not a JSON claim set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckExpiry(tt.token, tt.now)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("CheckExpiry = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckExpiry = nil, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message %q does not contain %q", err.Error(), tt.wantMsg)
			}
			if got := failure.KindOf(err); got != tt.kind {
				t.Errorf("kind = %v, want %v", got, tt.kind)
			}
			assertDomainWords(t, err)
			cond := ErrNotJWT
			if tt.kind == failure.Auth {
				cond = ErrTokenExpired
			}
			if !errors.Is(err, cond) {
				t.Errorf("the error does not name the condition %q", cond)
			}
			if tt.token != "" && strings.Contains(err.Error()+failure.HintOf(err), tt.token) {
				t.Errorf("error repeats the token: %q", err)
			}
		})
	}
}

func TestStatic(t *testing.T) {
	exp := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	tok := fakeJWT(t, map[string]any{"exp": exp.Unix(), "sub": "alice", "video": map[string]any{"room": "lobby"}})
	c, err := Static{URL: "https://example.com", Token: tok}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Credentials{URL: "wss://example.com", Token: tok, Room: "lobby", Identity: "alice", ExpiresAt: exp}
	if c != want {
		t.Errorf("Fetch = %+v, want %+v", c, want)
	}

	late := func() time.Time { return exp.Add(time.Minute) }
	_, err = Static{URL: "wss://example.com", Token: tok, Now: late}.Fetch(context.Background())
	if failure.KindOf(err) != failure.Auth || !errors.Is(err, ErrTokenExpired) {
		t.Errorf("expired token: err = %v, want auth failure", err)
	}
	_, err = Static{URL: "wss://example.com"}.Fetch(context.Background())
	if failure.KindOf(err) != failure.Usage || !errors.Is(err, ErrNoToken) {
		t.Errorf("no token: err = %v, want usage failure", err)
	}
	assertDomainWords(t, err)
	if err := (Static{URL: "wss://example.com", Token: tok, Now: late}).Check(); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("Check of an expired token: %v", err)
	}
	if err := (Static{Token: tok}).Check(); !errors.Is(err, ErrNoURL) {
		t.Errorf("Check without a URL: %v", err)
	}
}

func TestMinted(t *testing.T) {
	m := Minted{
		URL:           "http://127.0.0.1:7880",
		APIKey:        testKey,
		APISecret:     testSecret,
		Name:          "Alice",
		Metadata:      `{"plan":"pro"}`,
		Attributes:    map[string]string{"lang": "en"},
		AgentName:     "test-agent",
		AgentMetadata: `{"persona":"kind"}`,
	}
	before := time.Now()
	c1, err := m.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := m.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c1.URL != "ws://127.0.0.1:7880" {
		t.Errorf("URL = %q", c1.URL)
	}
	if !strings.HasPrefix(c1.Room, "webcall-") || !strings.HasPrefix(c1.Identity, "webcall-user-") {
		t.Errorf("defaults: room %q identity %q", c1.Room, c1.Identity)
	}
	if c1.Room == c2.Room || c1.Identity == c2.Identity {
		t.Errorf("two fetches share room %q or identity %q; each call needs a fresh one", c1.Room, c1.Identity)
	}
	if d := c1.ExpiresAt.Sub(before); d < DefaultTTL-2*time.Second || d > DefaultTTL+2*time.Second {
		t.Errorf("ExpiresAt is %s after minting, want about %s", d, DefaultTTL)
	}

	// The token must verify with the secret and carry everything asked for,
	// read back the way the server reads it.
	v, err := auth.ParseAPIToken(c1.Token)
	if err != nil {
		t.Fatal(err)
	}
	_, g, err := v.Verify(testSecret)
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	if v.APIKey() != testKey || g.Identity != c1.Identity || g.Name != "Alice" || g.Metadata != m.Metadata || g.Attributes["lang"] != "en" {
		t.Errorf("grants = %+v", g)
	}
	if g.Video == nil || !g.Video.RoomJoin || g.Video.Room != c1.Room {
		t.Errorf("video grant = %+v, want join of %q", g.Video, c1.Room)
	}
	if g.RoomConfig == nil || len(g.RoomConfig.Agents) != 1 ||
		g.RoomConfig.Agents[0].AgentName != "test-agent" || g.RoomConfig.Agents[0].Metadata != m.AgentMetadata {
		t.Errorf("room config = %+v, want a dispatch of test-agent", g.RoomConfig)
	}
	claims, err := ParseClaims(c1.Token)
	if err != nil || len(claims.Agents) != 1 || claims.Agents[0] != "test-agent" {
		t.Errorf("ParseClaims agents = %v, %v", claims.Agents, err)
	}
}

func TestMintedOptions(t *testing.T) {
	no := false
	m := Minted{APIKey: testKey, APISecret: testSecret, Room: "fixed", Identity: "bob", TTL: time.Minute,
		Grant: &auth.VideoGrant{CanPublish: &no, Room: "ignored"}}
	tok, c, err := m.Mint()
	if err != nil {
		t.Fatal(err)
	}
	if c.Room != "fixed" || c.Identity != "bob" || time.Until(c.ExpiresAt) > time.Minute+time.Second {
		t.Errorf("claims = %+v", c)
	}
	v, _ := auth.ParseAPIToken(tok)
	_, g, err := v.Verify(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if g.Video.CanPublish == nil || *g.Video.CanPublish || g.Video.Room != "fixed" || g.RoomConfig != nil {
		t.Errorf("grants = %+v video %+v", g, g.Video)
	}
	if m.Grant.Room != "ignored" {
		t.Error("Mint changed the caller's grant")
	}
}

func TestMintedErrorsHideSecrets(t *testing.T) {
	tests := []struct {
		name string
		m    Minted
		want string
		cond error
	}{
		{"neither", Minted{URL: "ws://x"}, "minting a token needs an API key and its secret", ErrNoAPIKey},
		{"no secret", Minted{URL: "ws://x", APIKey: testKey}, "an API key was given without its API secret", ErrNoAPISecret},
		{"no key", Minted{URL: "ws://x", APISecret: testSecret}, "an API secret was given without its API key", ErrNoAPIKey},
		{"no url", Minted{APIKey: testKey, APISecret: testSecret}, "no LiveKit server URL", ErrNoURL},
		{"metadata without agent", Minted{URL: "ws://x", APIKey: testKey, APISecret: testSecret, AgentMetadata: "{}"}, "without an agent name", ErrAgentMetadataWithoutName},
		{"negative ttl", Minted{URL: "ws://x", APIKey: testKey, APISecret: testSecret, TTL: -time.Second}, "must be positive", ErrBadTTL},
	}
	for _, tt := range tests {
		_, err := tt.m.Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			continue
		}
		if !errors.Is(err, tt.cond) {
			t.Errorf("%s: the error does not name the condition %q", tt.name, tt.cond)
		}
		assertDomainWords(t, err)
		if cerr := tt.m.Check(); cerr == nil || cerr.Error() != err.Error() {
			t.Errorf("%s: Check = %v, but Fetch refused with %v", tt.name, cerr, err)
		}
		if failure.KindOf(err) != failure.Usage {
			t.Errorf("%s: kind = %v", tt.name, failure.KindOf(err))
		}
		all := err.Error() + failure.HintOf(err)
		if strings.Contains(all, testKey) || strings.Contains(all, testSecret) {
			t.Errorf("%s: error shows a secret: %q", tt.name, all)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Minted{}).Fetch(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}
