package token

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// Endpoint asks the user's own backend for a token (server-side call
// initiation: the backend keeps the API key and hands out short-lived
// tokens). By default it speaks LiveKit's standard token-endpoint
// convention: a POST of an EndpointRequest, answered by server_url and
// participant_token. It also accepts the shape of the HMS Sovereign backend
// examples (token and server_url) and camelCase spellings of every field.
type Endpoint struct {
	// URL of the endpoint (http:// or https://).
	URL string
	// Header is added to the request (for the backend's own auth).
	Header http.Header
	// Body, when not nil, is sent as is instead of Request: for backends
	// that do not follow the convention.
	Body []byte
	// Request is the conventional body; empty fields are left out.
	Request EndpointRequest
	// ServerURL is used when the answer names no server URL.
	ServerURL string

	Client    *http.Client // nil means a client with HTTPTimeout
	UserAgent string
	Now       func() time.Time // nil means time.Now
}

// EndpointRequest is the body of LiveKit's token-endpoint convention.
type EndpointRequest struct {
	RoomName              string              `json:"room_name,omitempty"`
	ParticipantIdentity   string              `json:"participant_identity,omitempty"`
	ParticipantName       string              `json:"participant_name,omitempty"`
	ParticipantMetadata   string              `json:"participant_metadata,omitempty"`
	ParticipantAttributes map[string]string   `json:"participant_attributes,omitempty"`
	RoomConfig            *EndpointRoomConfig `json:"room_config,omitempty"`
}

// EndpointRoomConfig is the part of a room configuration a caller asks for.
type EndpointRoomConfig struct {
	Agents []EndpointAgent `json:"agents,omitempty"`
}

// EndpointAgent asks for an explicit dispatch of a named agent.
type EndpointAgent struct {
	AgentName string `json:"agent_name"`
	Metadata  string `json:"metadata,omitempty"`
}

// endpointAnswer lists every spelling of the answer's fields that webcall
// accepts. encoding/json matches names case-insensitively, so serverURL
// and ServerUrl land in ServerURLCamel too.
type endpointAnswer struct {
	ServerURL           string `json:"server_url"`
	ServerURLCamel      string `json:"serverUrl"`
	ParticipantToken    string `json:"participant_token"`
	ParticipantTokenCam string `json:"participantToken"`
	Token               string `json:"token"`
	AccessToken         string `json:"accessToken"`
	RoomName            string `json:"room_name"`
	RoomNameCamel       string `json:"roomName"`
	Identity            string `json:"participant_identity"`
	IdentityCamel       string `json:"participantIdentity"`
	CallID              string `json:"call_id"`
	CallIDCamel         string `json:"callId"`
}

// Fetch asks the endpoint for a token.
func (e Endpoint) Fetch(ctx context.Context) (Credentials, error) {
	body := e.Body
	if body == nil {
		var err error
		if body, err = json.Marshal(e.Request); err != nil {
			return Credentials{}, failure.Wrap(failure.Internal, err, "encode the token request")
		}
	}
	const what = "the token endpoint"
	resp, err := postJSON(ctx, e.Client, e.URL, e.Header, body, e.UserAgent, what)
	if err != nil {
		return Credentials{}, err
	}
	where := safeURL(e.URL)
	if resp.status < 200 || resp.status > 299 {
		return Credentials{}, endpointError(resp, where)
	}

	var a endpointAnswer
	if err := json.Unmarshal(resp.body, &a); err != nil {
		return Credentials{}, failure.Newf(failure.Connect, "the token endpoint at %s answered %d but not with a JSON object", where, resp.status).
			WithHint("the endpoint should answer {\"server_url\": ..., \"participant_token\": ...}; check --token-endpoint")
	}
	tok := first(a.ParticipantToken, a.ParticipantTokenCam, a.Token, a.AccessToken)
	if tok == "" {
		return Credentials{}, failure.Newf(failure.Connect, "the answer of the token endpoint at %s has no participant_token or token field", where).
			WithHint("the endpoint should answer {\"server_url\": ..., \"participant_token\": ...}")
	}
	claims, err := ParseClaims(tok)
	if err != nil {
		return Credentials{}, failure.Newf(failure.Connect, "the token endpoint at %s answered with a token that is not a JWT", where).
			WithHint("the endpoint must hand out a LiveKit access token; if it returns its own session value, use --data and -H to call the endpoint that issues the LiveKit token")
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	if err := claims.checkExpiry(now()); err != nil {
		return Credentials{}, failure.Wrap(failure.Auth, err, "the token endpoint at "+where+" handed out an expired token").
			WithHint("check the clock and the token lifetime of the backend behind --token-endpoint")
	}
	server := first(a.ServerURL, a.ServerURLCamel, e.ServerURL)
	if server == "" {
		return Credentials{}, failure.Newf(failure.Connect, "the answer of the token endpoint at %s has no server_url", where).
			WithHint("give the LiveKit server with --url (or LIVEKIT_URL), or make the endpoint return server_url")
	}
	u, err := NormalizeURL(server)
	if err != nil {
		return Credentials{}, failure.Wrap(failure.Connect, err, "the server_url from the token endpoint at "+where+" is unusable")
	}
	return Credentials{
		URL:       u,
		Token:     tok,
		Room:      first(a.RoomName, a.RoomNameCamel, claims.Room),
		Identity:  first(a.Identity, a.IdentityCamel, claims.Identity),
		CallID:    first(a.CallID, a.CallIDCamel),
		ExpiresAt: claims.ExpiresAt,
	}, nil
}

// endpointError turns an error status into a message with the backend's
// own reason, of the kind a script can branch on.
func endpointError(resp httpResponse, where string) error {
	kind, hint := failure.Rejected, "check the request webcall sent (--room, --identity, --data, -H) against what the endpoint expects"
	switch {
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden:
		kind, hint = failure.Auth, "the endpoint refused the request: check the credentials you pass with -H/--header"
	case resp.status == http.StatusTooManyRequests:
		kind, hint = failure.Busy, "the backend is at a limit; try again later"
	case resp.status == http.StatusNotFound || resp.status == http.StatusMethodNotAllowed:
		hint = "check the --token-endpoint URL: it must accept a POST"
	case resp.status >= 500:
		kind, hint = failure.Connect, "the backend failed; try again, or check its logs"
	case resp.status < 200 || resp.status >= 300:
		// 1xx and 3xx that the client did not follow: treat as rejected.
	}
	return failure.New(kind, fmt.Sprintf("the token endpoint at %s answered %s", where, statusText(resp.status, errorDetail(resp.body)))).
		WithHint(hint)
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
