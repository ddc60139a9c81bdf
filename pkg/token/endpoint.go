package token

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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

// Check reports what Fetch would refuse before sending anything: an
// address that is not http(s), a Body that is not JSON, agent metadata
// without an agent name, a malformed ServerURL. Calling it early fails
// before anything else is prepared for the call.
func (e Endpoint) Check() error {
	u, err := url.Parse(e.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return failure.Newf(failure.Usage, "the token endpoint %s is not an http:// or https:// URL", safeURL(e.URL)).WithCond(ErrBadEndpointURL).
			WithHint("give the full address of your backend's token route, e.g. https://your-backend.example.com/api/token")
	}
	if e.Body != nil {
		if err := json.Unmarshal(e.Body, new(any)); err != nil {
			return failure.Newf(failure.Input, "the token request body is not valid JSON (%s)", jsonProblem(e.Body, err)).WithCond(ErrBadRequestBody).
				WithHint(`write JSON such as {"room_name": "support-1"}`)
		}
	} else if rc := e.Request.RoomConfig; rc != nil {
		for _, a := range rc.Agents {
			if a.AgentName == "" && a.Metadata != "" {
				return errAgentMetadataWithoutName()
			}
		}
	}
	if e.ServerURL != "" {
		if _, err := NormalizeURL(e.ServerURL); err != nil {
			return err
		}
	}
	return nil
}

// Fetch asks the endpoint for a token.
func (e Endpoint) Fetch(ctx context.Context) (Credentials, error) {
	if err := e.Check(); err != nil {
		return Credentials{}, err
	}
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
	return e.credentials(resp)
}

// credentials reads the endpoint's answer: everything Fetch learns from
// what the backend sent, apart from the network, so that it can be fuzzed.
func (e Endpoint) credentials(resp httpResponse) (Credentials, error) {
	where := safeURL(e.URL)
	if resp.status < 200 || resp.status > 299 {
		return Credentials{}, endpointError(resp, where)
	}

	var a endpointAnswer
	if err := json.Unmarshal(resp.body, &a); err != nil {
		return Credentials{}, failure.Newf(failure.Connect, "the token endpoint at %s answered %d but not with a JSON object", where, resp.status).
			WithCond(ErrNotTokenEndpoint).
			WithHint("check the endpoint's address: a token endpoint answers {\"server_url\": ..., \"participant_token\": ...}")
	}
	tok := first(a.ParticipantToken, a.ParticipantTokenCam, a.Token, a.AccessToken)
	if tok == "" {
		return Credentials{}, failure.Newf(failure.Connect, "the answer of the token endpoint at %s has no participant_token or token field", where).
			WithHint("the endpoint should answer {\"server_url\": ..., \"participant_token\": ...}")
	}
	claims, err := ParseClaims(tok)
	if err != nil {
		return Credentials{}, failure.Newf(failure.Connect, "the token endpoint at %s answered with a token that is not a JWT", where).
			WithCond(ErrEndpointNotJWT).
			WithHint("the endpoint must hand out a LiveKit access token; if it returns its own session value, ask the endpoint that issues the LiveKit token instead")
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	if err := claims.checkExpiry(now()); err != nil {
		return Credentials{}, failure.Wrap(failure.Auth, err, "the token endpoint at "+where+" handed out an expired token").
			WithHint("check the clock and the token lifetime of the backend behind the endpoint")
	}
	server := first(a.ServerURL, a.ServerURLCamel, e.ServerURL)
	if server == "" {
		return Credentials{}, failure.Newf(failure.Connect, "the answer of the token endpoint at %s has no server_url", where).
			WithCond(ErrEndpointNoServerURL).
			WithHint("give the LiveKit server's URL along with the endpoint, or make the endpoint return server_url")
	}
	u, err := NormalizeURL(server)
	if err != nil {
		// The hint is about the answer: the URL did not come from the user.
		return Credentials{}, failure.Wrap(failure.Connect, err, "the server_url from the token endpoint at "+where+" is unusable").
			WithHint("make the endpoint return the LiveKit server's URL, as wss://host (or ws://host:7880)")
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
	kind, cond, hint := failure.Rejected, ErrEndpointRefused, "check the request (room, identity, body, headers) against what the endpoint expects"
	switch {
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden:
		kind, cond, hint = failure.Auth, ErrEndpointAuth, "the endpoint refused the request: check the credentials sent with it (its headers)"
	case resp.status == http.StatusTooManyRequests:
		kind, cond, hint = failure.Busy, nil, "the backend is at a limit; try again later"
	case resp.status == http.StatusNotFound || resp.status == http.StatusMethodNotAllowed:
		cond, hint = ErrNotTokenEndpoint, "check the endpoint's address: it must accept a POST"
	case resp.status >= 500:
		kind, cond, hint = failure.Connect, nil, "the backend failed; try again, or check its logs"
	case resp.status < 200 || resp.status >= 300:
		// 1xx and 3xx that the client did not follow: treat as rejected.
	}
	return failure.New(kind, fmt.Sprintf("the token endpoint at %s answered %s", where, statusText(resp.status, errorDetail(resp.body)))).
		WithCond(cond).WithHint(hint)
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
