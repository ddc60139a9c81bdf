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
	if err := m.Check(); err != nil {
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

// Check reports what Fetch would refuse (Mint refuses the same but for the
// URL, which it does not need). Calling it early fails before anything
// else is prepared for the call.
func (m Minted) Check() error {
	if err := m.checkMint(); err != nil {
		return err
	}
	_, err := NormalizeURL(m.URL)
	return err
}

// Mint returns a signed token and its claims without needing a server URL,
// for printing tokens (webcall token).
func (m Minted) Mint() (string, Claims, error) { return m.mint() }

// checkMint is what minting needs: the key pair first, since without it
// nothing else matters.
func (m Minted) checkMint() error {
	switch {
	case m.APIKey == "" && m.APISecret == "":
		return failure.New(failure.Usage, "minting a token needs an API key and its secret").WithCond(ErrNoAPIKey).
			WithHint("give the project's API key and secret (LiveKit Cloud: project settings > API keys; livekit-server: the keys: section of its config)")
	case m.APIKey == "":
		return failure.New(failure.Usage, "an API secret was given without its API key").WithCond(ErrNoAPIKey).
			WithHint("give the API key the secret belongs to")
	case m.APISecret == "":
		return failure.New(failure.Usage, "an API key was given without its API secret").WithCond(ErrNoAPISecret).
			WithHint("give the secret that belongs to the API key")
	case m.TTL < 0:
		return failure.Newf(failure.Usage, "the token lifetime must be positive (got %s)", m.TTL).WithCond(ErrBadTTL).
			WithHint("give a lifetime such as 10m, long enough to connect")
	case m.AgentMetadata != "" && m.AgentName == "":
		return errAgentMetadataWithoutName()
	}
	return nil
}

func errAgentMetadataWithoutName() error {
	return failure.New(failure.Usage, "agent metadata was given without an agent name").WithCond(ErrAgentMetadataWithoutName).
		WithHint("name the agent to dispatch (the name its worker registered under), or leave out the metadata")
}

func (m Minted) mint() (string, Claims, error) {
	if err := m.checkMint(); err != nil {
		return "", Claims{}, err
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
