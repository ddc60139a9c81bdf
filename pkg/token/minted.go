package token

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// DefaultTTL is how long a minted token stays valid for joining. Short, so a
// token that leaks is useless soon; long enough for a slow connect and a
// reconnect within one call (a Source is asked again on each attempt).
const DefaultTTL = 10 * time.Minute

// Minted mints a token locally from an API key and secret, for self-hosted
// servers and for development. Every Fetch mints a new token.
type Minted struct {
	URL       string
	APIKey    string
	APISecret string

	// Room to join; empty means a fresh random room ("webcall-<random>") on
	// every Fetch, because a room used before may still hold an old agent.
	Room string
	// Identity of the participant; empty means a random
	// "webcall-user-<random>" on every Fetch.
	Identity   string
	Name       string
	Metadata   string
	Attributes map[string]string
	// TTL is how long the token can be used to join; zero means DefaultTTL.
	TTL time.Duration

	// AgentName, when set, puts an explicit agent dispatch into the token's
	// room configuration, so the server sends a worker registered under that
	// name into the room when this participant creates it.
	AgentName     string
	AgentMetadata string

	// Grant, when set, replaces the default permissions (everything a
	// participant may do in its room). RoomJoin and Room are always set from
	// the fields above.
	Grant *auth.VideoGrant
}

// Fetch mints a token for one call.
func (m Minted) Fetch(ctx context.Context) (Credentials, error) {
	if err := ctx.Err(); err != nil {
		return Credentials{}, err
	}
	u, err := NormalizeURL(m.URL)
	if err != nil {
		return Credentials{}, err
	}
	tok, c, err := m.mint()
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{
		URL:       u,
		Token:     tok,
		Room:      c.Room,
		Identity:  c.Identity,
		ExpiresAt: c.ExpiresAt,
	}, nil
}

// Mint returns a signed token and its claims without needing a server URL,
// for printing tokens (webcall token).
func (m Minted) Mint() (string, Claims, error) { return m.mint() }

func (m Minted) mint() (string, Claims, error) {
	if m.APIKey == "" || m.APISecret == "" {
		return "", Claims{}, failure.New(failure.Usage, "minting a token needs both an API key and an API secret").
			WithHint("set LIVEKIT_API_KEY and LIVEKIT_API_SECRET (or pass --api-key and --api-secret)")
	}
	if m.TTL < 0 {
		return "", Claims{}, failure.Newf(failure.Usage, "the token lifetime must be positive (got %s)", m.TTL)
	}
	if m.AgentMetadata != "" && m.AgentName == "" {
		return "", Claims{}, failure.New(failure.Usage, "agent metadata was given without an agent name").
			WithHint("pass --agent-name with the name the agent worker registered under")
	}
	room := m.Room
	if room == "" {
		room = "webcall-" + randomSuffix()
	}
	identity := m.Identity
	if identity == "" {
		identity = "webcall-user-" + randomSuffix()
	}
	ttl := m.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}

	grant := &auth.VideoGrant{}
	if m.Grant != nil {
		g := *m.Grant
		grant = &g
	}
	grant.RoomJoin = true
	grant.Room = room

	at := auth.NewAccessToken(m.APIKey, m.APISecret).
		SetIdentity(identity).
		SetName(m.Name).
		SetMetadata(m.Metadata).
		SetAttributes(m.Attributes).
		SetValidFor(ttl).
		SetVideoGrant(grant)
	if m.AgentName != "" {
		at.SetRoomConfig(&livekit.RoomConfiguration{
			Agents: []*livekit.RoomAgentDispatch{{AgentName: m.AgentName, Metadata: m.AgentMetadata}},
		})
	}
	tok, err := at.ToJWT()
	if err != nil {
		// The error comes from the JWT library and never holds the secret.
		return "", Claims{}, failure.Wrap(failure.Internal, err, "mint the access token")
	}
	c, err := ParseClaims(tok)
	if err != nil {
		return "", Claims{}, failure.Wrap(failure.Internal, err, "read back the minted token")
	}
	return tok, c, nil
}

// randomSuffix is 12 hex digits from crypto/rand: enough that two calls
// never share a room by chance.
func randomSuffix() string {
	var b [6]byte
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
