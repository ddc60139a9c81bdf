package token

import (
	"context"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// Static hands out one literal token, as given by the user. Reconnects get
// the same token, so a call with a Static source ends when the token expires.
type Static struct {
	URL   string
	Token string
	// Now is the clock for the expiry check; nil means time.Now.
	Now func() time.Time
}

// Fetch checks the URL and the token's expiry and returns them, with the room,
// identity and expiry read from the token's claims.
func (s Static) Fetch(ctx context.Context) (Credentials, error) {
	if err := ctx.Err(); err != nil {
		return Credentials{}, err
	}
	u, err := NormalizeURL(s.URL)
	if err != nil {
		return Credentials{}, err
	}
	if s.Token == "" {
		return Credentials{}, failure.New(failure.Usage, "no token given").
			WithHint("pass --token (or set LIVEKIT_TOKEN), or let webcall mint one with --api-key and --api-secret")
	}
	c, err := ParseClaims(s.Token)
	if err != nil {
		return Credentials{}, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if err := c.checkExpiry(now()); err != nil {
		return Credentials{}, err
	}
	return Credentials{
		URL:       u,
		Token:     s.Token,
		Room:      c.Room,
		Identity:  c.Identity,
		ExpiresAt: c.ExpiresAt,
	}, nil
}
