// Package token gets the credentials for a call: a LiveKit server URL and a
// short-lived access token, plus what the issuer said about the call.
//
// Every way of getting them (a literal token, one minted locally from an API
// key and secret, the user's own token endpoint, a vendor API) is a Source.
// The call asks its Source once per connection attempt, so reconnects and
// repeated calls always get a fresh token.
package token

import (
	"context"
	"time"
)

// Credentials are what a Source hands out for one call.
type Credentials struct {
	// URL is the LiveKit server's WebSocket URL (ws:// or wss://).
	URL string
	// Token is the access token (a JWT). It is a secret: never print it.
	Token string

	// What the issuer told us about the call; any may be empty.
	Room     string
	Identity string
	CallID   string
	Provider string
	// ExpiresAt is when the token stops being accepted for joining.
	ExpiresAt time.Time
	// MaxDuration is the provider's cap on the call's length, if any.
	MaxDuration time.Duration
}

// Source hands out credentials for a call.
type Source interface {
	Fetch(ctx context.Context) (Credentials, error)
}
