package token

import (
	"context"
	"fmt"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// Renewal says what a Source can hand out when a call that lost its
// connection joins again. Rejoining needs a token that is still valid and,
// to go on with the same conversation, one for the same room; sources
// differ in both, and a call should say which it got rather than guess.
type Renewal int

const (
	// RenewNone: a literal token. Rejoining uses the same token, which
	// works until it expires and never after.
	RenewNone Renewal = iota
	// RenewSameRoom: a token minted here from an API key and secret. A
	// fresh one is minted for the same room, identity and agent
	// dispatch, so the agent is sent into the room again if it left.
	RenewSameRoom
	// RenewEndpoint: the user's token endpoint. It is asked again, for
	// the same room when the request names none; what it answers is the
	// backend's decision, possibly another room.
	RenewEndpoint
	// RenewNewCall: a provider that creates a call per token (HMS). Each
	// rejoin creates a new call, with a new agent session, and counts
	// against the provider's limit of concurrent calls.
	RenewNewCall
)

func (r Renewal) String() string {
	switch r {
	case RenewNone:
		return "none"
	case RenewSameRoom:
		return "same-room"
	case RenewEndpoint:
		return "endpoint"
	case RenewNewCall:
		return "new-call"
	}
	return fmt.Sprintf("renewal(%d)", int(r))
}

// Rejoiner is a Source that knows how it renews (Renewal) and can hand
// out credentials to rejoin the call that prev came from (FetchRejoin).
// Every Source of this package is one; a Source that wraps another (to
// redact its tokens, say) implements it by asking RenewalOf and
// FetchRejoin of the wrapped one.
type Rejoiner interface {
	Source
	Renewal() Renewal
	FetchRejoin(ctx context.Context, prev Credentials) (Credentials, error)
}

// RenewalOf says how s renews. A Source that does not say is taken at its
// word for nothing: RenewEndpoint, "it decides".
func RenewalOf(s Source) Renewal {
	if r, ok := s.(Rejoiner); ok {
		return r.Renewal()
	}
	return RenewEndpoint
}

// FetchRejoin asks s for credentials to rejoin the call that prev came
// from: s's own FetchRejoin when it has one, else a plain Fetch.
func FetchRejoin(ctx context.Context, s Source, prev Credentials) (Credentials, error) {
	if r, ok := s.(Rejoiner); ok {
		return r.FetchRejoin(ctx, prev)
	}
	return s.Fetch(ctx)
}

// Renewal of a literal token: none.
func (s Static) Renewal() Renewal { return RenewNone }

// FetchRejoin hands out the same token while it is valid; once it has
// expired, a failure of Kind Auth that says it cannot be renewed.
func (s Static) FetchRejoin(ctx context.Context, prev Credentials) (Credentials, error) {
	c, err := s.Fetch(ctx)
	if err != nil && failure.KindOf(err) == failure.Auth {
		return Credentials{}, CannotRenew(err)
	}
	return c, err
}

// CannotRenew wraps the refusal of a token that cannot be renewed (expired,
// or refused by the server at a rejoin) in the error that says so.
func CannotRenew(err error) error {
	return failure.Wrap(failure.Auth, err, "the connection was lost and the token could not be renewed").
		WithCond(ErrCannotRenew).
		WithHint("a ready token is the same token at every rejoin, and is refused once it expires: give an API key and secret to mint fresh tokens, or a token endpoint")
}

// Renewal of a minted token: the same room.
func (m Minted) Renewal() Renewal { return RenewSameRoom }

// FetchRejoin mints a fresh token for prev's room and identity when m
// leaves them to chance: a random room would be another conversation.
func (m Minted) FetchRejoin(ctx context.Context, prev Credentials) (Credentials, error) {
	if m.Room == "" {
		m.Room = prev.Room
	}
	if m.Identity == "" {
		m.Identity = prev.Identity
	}
	return m.Fetch(ctx)
}

// Renewal of a token endpoint: the endpoint decides.
func (e Endpoint) Renewal() Renewal { return RenewEndpoint }

// FetchRejoin asks the endpoint again, for prev's room and identity when
// the conventional request names none (a body given as is goes as is).
func (e Endpoint) FetchRejoin(ctx context.Context, prev Credentials) (Credentials, error) {
	if e.Body == nil {
		if e.Request.RoomName == "" {
			e.Request.RoomName = prev.Room
		}
		if e.Request.ParticipantIdentity == "" {
			e.Request.ParticipantIdentity = prev.Identity
		}
	}
	return e.Fetch(ctx)
}

// Renewal of an HMS web call: a new call each time.
func (h HMS) Renewal() Renewal { return RenewNewCall }

// FetchRejoin creates a new call: HMS has no way to join one again.
func (h HMS) FetchRejoin(ctx context.Context, _ Credentials) (Credentials, error) {
	return h.Fetch(ctx)
}

// ValidFor says how long creds stay valid for joining from now: ok is
// false when they carry no expiry.
func ValidFor(creds Credentials, now time.Time) (left time.Duration, ok bool) {
	if creds.ExpiresAt.IsZero() {
		return 0, false
	}
	return creds.ExpiresAt.Sub(now), true
}
