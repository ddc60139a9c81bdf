// Package hmstest is a local stand-in for the HMS Sovereign web-call API
// (POST /v1/web-calls), behaving as its documentation describes: a bearer
// key per organization, the four 400 rules with their documented words,
// 402 without credits, 403 for an assistant of another organization, 429
// beyond the concurrent-call limit, and a switchable 500. Tests use it to
// drive webcall's HMS source, and end-to-end tests can make it hand out
// tokens for a real local LiveKit server.
package hmstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
)

// Options configure the organization the server knows.
type Options struct {
	// APIKey is the organization's key; any other key gets 401.
	APIKey string
	// NoCreditsKey, if set, is a valid key of an organization without
	// credits: its requests get 402.
	NoCreditsKey string
	// Assistants are the organization's saved assistant ids; any other id
	// gets 403.
	Assistants []string
	// MaxConcurrent is the concurrent-call limit; 0 means the documented 3.
	MaxConcurrent int

	// ServerURL is the server_url handed out; empty means
	// wss://rtc.hmsovereign.test.
	ServerURL string
	// LiveKitKey and LiveKitSecret sign the handed-out tokens, so that a
	// real local LiveKit server accepts them; empty means a fixed test pair.
	LiveKitKey, LiveKitSecret string
	// AgentName, if set, is dispatched into each call's room through the
	// token, standing in for HMS's own dispatch.
	AgentName string
}

// Request is one request the server received.
type Request struct {
	Header http.Header
	Body   map[string]json.RawMessage
}

// Server is a running stand-in. Its URL is the API base (HMS.APIBase) to
// use.
type Server struct {
	URL string

	opts Options
	srv  *httptest.Server

	mu       sync.Mutex
	requests []Request
	active   map[string]bool
	calls    int
	fail     string
}

// New starts a server on 127.0.0.1; Close stops it.
func New(opts Options) *Server {
	if opts.MaxConcurrent == 0 {
		opts.MaxConcurrent = 3
	}
	if opts.ServerURL == "" {
		opts.ServerURL = "wss://rtc.hmsovereign.test"
	}
	if opts.LiveKitKey == "" {
		opts.LiveKitKey, opts.LiveKitSecret = "hmstestkey", "hmstest-signing-secret-0123456789"
	}
	s := &Server{opts: opts, active: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Requests returns what the server received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// EndCall ends a running call, freeing its place under the limit.
func (s *Server) EndCall(callID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.active, callID)
}

// Fail500 makes every valid request fail with the documented 500 and the
// given reason; an empty reason restores normal service.
func (s *Server) Fail500(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = reason
}

func detail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"detail": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/web-calls" {
		detail(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.Method != http.MethodPost {
		detail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req := Request{Header: r.Header.Clone()}
	decodeErr := json.NewDecoder(r.Body).Decode(&req.Body)
	s.requests = append(s.requests, req)

	key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if key == "" || (key != s.opts.APIKey && key != s.opts.NoCreditsKey) {
		detail(w, http.StatusUnauthorized, "Invalid API key")
		return
	}
	if decodeErr != nil || req.Body == nil {
		detail(w, http.StatusUnprocessableEntity, "Request body must be a JSON object")
		return
	}
	_, hasID := req.Body["assistant_id"]
	_, hasOverride := req.Body["assistant_override"]
	inline, hasInline := req.Body["assistant"]
	switch {
	case hasOverride && !hasID:
		detail(w, http.StatusBadRequest, "assistant_override requires assistant_id")
		return
	case !hasID && !hasInline:
		detail(w, http.StatusBadRequest, "Must provide assistant_id, assistant, or both")
		return
	case hasOverride && hasInline:
		detail(w, http.StatusBadRequest, "Cannot provide both assistant and assistant_override")
		return
	}
	if hasInline && !hasID {
		var a map[string]json.RawMessage
		_ = json.Unmarshal(inline, &a)
		for _, k := range []string{"stt_config", "llm_config", "tts_config"} {
			if v, ok := a[k]; !ok || string(v) == "null" {
				detail(w, http.StatusBadRequest, "Transient assistant must provide: stt_config, llm_config, tts_config")
				return
			}
		}
	}
	if key == s.opts.NoCreditsKey {
		detail(w, http.StatusPaymentRequired, "Insufficient credits to start web call")
		return
	}
	if hasID {
		var id string
		_ = json.Unmarshal(req.Body["assistant_id"], &id)
		known := false
		for _, a := range s.opts.Assistants {
			known = known || a == id
		}
		if !known {
			detail(w, http.StatusForbidden, "Assistant not found or does not belong to this organization")
			return
		}
	}
	if len(s.active) >= s.opts.MaxConcurrent {
		detail(w, http.StatusTooManyRequests, fmt.Sprintf("Maximum %d concurrent web calls per organization", s.opts.MaxConcurrent))
		return
	}
	if s.fail != "" {
		detail(w, http.StatusInternalServerError, "Failed to create web call session: "+s.fail)
		return
	}

	s.calls++
	callID := fmt.Sprintf("3f2a1b4c-5d6e-7f8a-9b0c-%012d", s.calls)
	room := "web-" + callID[len(callID)-8:]
	tok, err := s.token(room, callID)
	if err != nil {
		detail(w, http.StatusInternalServerError, "Failed to create web call session: "+err.Error())
		return
	}
	s.active[callID] = true
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"success": true, "call_id": callID, "room_name": room, "token": tok, "server_url": s.opts.ServerURL,
	})
}

// token is the call's join token: valid 5 minutes as documented, for the
// call's room, dispatching AgentName when set.
func (s *Server) token(room, callID string) (string, error) {
	at := auth.NewAccessToken(s.opts.LiveKitKey, s.opts.LiveKitSecret).
		SetIdentity("web-user-" + callID[len(callID)-8:]).
		SetValidFor(5 * time.Minute).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room})
	if s.opts.AgentName != "" {
		at.SetRoomConfig(&livekit.RoomConfiguration{
			Agents: []*livekit.RoomAgentDispatch{{AgentName: s.opts.AgentName}},
		})
	}
	return at.ToJWT()
}
