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

// Fetch checks the source (Check) and returns the URL and the token, with
// the room, identity and expiry read from the token's claims.
func (s Static) Fetch(ctx context.Context) (Credentials, error) {
	if err := ctx.Err(); err != nil {
		return Credentials{}, err
	}
	u, c, err := s.check()
	if err != nil {
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

// Check reports what Fetch would refuse: a missing or malformed URL, a
// missing token, a string that is not a JWT, an expired token. Calling it
// early fails before anything else is prepared for the call.
func (s Static) Check() error {
	_, _, err := s.check()
	return err
}

func (s Static) check() (string, Claims, error) {
	u, err := NormalizeURL(s.URL)
	if err != nil {
		return "", Claims{}, err
	}
	if s.Token == "" {
		return "", Claims{}, failure.New(failure.Usage, "no token given").WithCond(ErrNoToken).
			WithHint("give the access token your server issued for this call, or mint one from an API key and secret")
	}
	c, err := ParseClaims(s.Token)
	if err != nil {
		return "", Claims{}, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if err := c.checkExpiry(now()); err != nil {
		return "", Claims{}, err
	}
	return u, c, nil
}
