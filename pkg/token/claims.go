package token

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// Claims is what a LiveKit access token says about itself. It is read
// without verifying the signature: a client holding a literal token does not
// have the secret, and the server verifies it anyway. Use it to fill in call
// information and to refuse a token that cannot work, never to trust it.
type Claims struct {
	// Issuer is the API key the token was signed with (not a secret by
	// itself, but not something to print either).
	Issuer   string
	Identity string
	Name     string
	Room     string
	// Agents are the agent names the token's room configuration dispatches.
	Agents []string
	// ExpiresAt is zero when the token has no exp claim.
	ExpiresAt time.Time
}

// jwtPayload is the subset of LiveKit's claim set that webcall reads.
type jwtPayload struct {
	Iss   string `json:"iss"`
	Sub   string `json:"sub"`
	Exp   *int64 `json:"exp"`
	Name  string `json:"name"`
	Video *struct {
		Room string `json:"room"`
	} `json:"video"`
	RoomConfig *struct {
		// protojson writes agentName; other issuers write the proto name.
		Agents []struct {
			AgentName      string `json:"agentName"`
			AgentNameProto string `json:"agent_name"`
		} `json:"agents"`
	} `json:"roomConfig"`
}

// errNotJWT never includes the token: the string may be a real secret pasted
// into the wrong place.
func errNotJWT(why string) error {
	return failure.Newf(failure.Usage, "the token is not a LiveKit access token: %s", why).WithCond(ErrNotJWT).
		WithHint("give the token exactly as your server issued it (a JWT: three base64 parts separated by dots)")
}

// ParseClaims reads a token's claims without verifying its signature. A
// string that is not a JWT is a usage error whose message never repeats it.
func ParseClaims(token string) (Claims, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return Claims{}, errNotJWT("it is empty")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, errNotJWT(fmt.Sprintf("it has %d dot-separated parts, a JWT has 3", len(parts)))
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, errNotJWT("its middle part is not base64url")
	}
	var p jwtPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return Claims{}, errNotJWT("its middle part is not a JSON claim set")
	}
	c := Claims{Issuer: p.Iss, Identity: p.Sub, Name: p.Name}
	if p.Video != nil {
		c.Room = p.Video.Room
	}
	if p.RoomConfig != nil {
		for _, a := range p.RoomConfig.Agents {
			name := a.AgentName
			if name == "" {
				name = a.AgentNameProto
			}
			c.Agents = append(c.Agents, name)
		}
	}
	if p.Exp != nil {
		c.ExpiresAt = time.Unix(*p.Exp, 0).UTC()
	}
	return c, nil
}

// CheckExpiry refuses a token whose exp claim has passed at now, saying when
// it expired, so that an old token pasted from a dashboard fails before
// connecting instead of as an opaque 401 from the server. A token without an
// exp claim passes. The signature is not checked (see ParseClaims).
func CheckExpiry(token string, now time.Time) error {
	c, err := ParseClaims(token)
	if err != nil {
		return err
	}
	return c.checkExpiry(now)
}

func (c Claims) checkExpiry(now time.Time) error {
	if c.ExpiresAt.IsZero() || now.Before(c.ExpiresAt) {
		return nil
	}
	return failure.Newf(failure.Auth, "the token expired at %s (%s ago); get a fresh one",
		c.ExpiresAt.UTC().Format("2006-01-02 15:04:05 MST"), roughDuration(now.Sub(c.ExpiresAt))).
		WithCond(ErrTokenExpired).
		WithHint("tokens are short-lived: ask your token server for a new one, or mint one from an API key and secret")
}

// roughDuration prints a duration the way a person says it: the largest unit
// and, below a day, the next one ("45s", "3m", "2h5m", "3d").
func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	default:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
}
