package token

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// tokenServer is a token endpoint in LiveKit's convention: it mints a token
// from the request's fields and answers in the shape the test asks for.
type tokenServer struct {
	t      *testing.T
	shape  func(tok string) any
	status int
	got    []byte
	header http.Header
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.got, _ = io.ReadAll(r.Body)
	s.header = r.Header.Clone()
	var req EndpointRequest
	json.Unmarshal(s.got, &req)
	m := Minted{APIKey: testKey, APISecret: testSecret, Room: req.RoomName, Identity: req.ParticipantIdentity, Name: req.ParticipantName}
	if req.RoomConfig != nil && len(req.RoomConfig.Agents) > 0 {
		m.AgentName = req.RoomConfig.Agents[0].AgentName
	}
	tok, _, err := m.Mint()
	if err != nil {
		s.t.Error(err)
	}
	w.Header().Set("Content-Type", "application/json")
	if s.status != 0 {
		w.WriteHeader(s.status)
	} else {
		w.WriteHeader(http.StatusCreated) // the convention's status
	}
	json.NewEncoder(w).Encode(s.shape(tok))
}

func newTokenServer(t *testing.T, shape func(tok string) any) (*tokenServer, string) {
	noLeaks(t)
	s := &tokenServer{t: t, shape: shape}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL + "/api/token"
}

func TestEndpointResponseShapes(t *testing.T) {
	tests := []struct {
		name  string
		shape func(tok string) any
	}{
		{"livekit convention", func(tok string) any {
			return map[string]string{"server_url": "wss://lk.example", "participant_token": tok}
		}},
		{"hms backend example", func(tok string) any {
			return map[string]string{"token": tok, "server_url": "wss://lk.example"}
		}},
		{"camelCase", func(tok string) any {
			return map[string]string{"serverUrl": "wss://lk.example", "participantToken": tok}
		}},
		{"upper-case acronym", func(tok string) any {
			return map[string]string{"serverURL": "https://lk.example", "token": tok}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := newTokenServer(t, tt.shape)
			e := Endpoint{
				URL:       url,
				UserAgent: "webcall/test",
				Header:    http.Header{"Authorization": {"Bearer backend-session"}, "X-Tenant": {"acme"}},
				Request: EndpointRequest{
					RoomName: "support", ParticipantIdentity: "caller-1", ParticipantName: "Caller",
					ParticipantMetadata: `{"plan":"pro"}`, ParticipantAttributes: map[string]string{"lang": "de"},
					RoomConfig: &EndpointRoomConfig{Agents: []EndpointAgent{{AgentName: "support-agent", Metadata: `{"x":1}`}}},
				},
			}
			c, err := e.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if c.URL != "wss://lk.example" || c.Room != "support" || c.Identity != "caller-1" || c.Token == "" || c.ExpiresAt.IsZero() {
				t.Errorf("credentials = %+v", c)
			}
			wantBody := `{"room_name":"support","participant_identity":"caller-1","participant_name":"Caller",` +
				`"participant_metadata":"{\"plan\":\"pro\"}","participant_attributes":{"lang":"de"},` +
				`"room_config":{"agents":[{"agent_name":"support-agent","metadata":"{\"x\":1}"}]}}`
			if !jsonEqual(t, string(srv.got), wantBody) {
				t.Errorf("request body\n got %s\nwant %s", srv.got, wantBody)
			}
			if srv.header.Get("Authorization") != "Bearer backend-session" || srv.header.Get("X-Tenant") != "acme" ||
				srv.header.Get("Content-Type") != "application/json" || srv.header.Get("User-Agent") != "webcall/test" {
				t.Errorf("request headers = %v", srv.header)
			}
		})
	}
}

func TestEndpointCustomBodyAndFallbackURL(t *testing.T) {
	srv, url := newTokenServer(t, func(tok string) any { return map[string]any{"token": tok, "roomName": "from-answer", "callId": "c-9"} })
	srv.status = http.StatusOK
	e := Endpoint{URL: url, Body: []byte(`{"assistant_id":"abc"}`), ServerURL: "http://127.0.0.1:7880",
		Header: http.Header{"Content-Type": {"application/vnd.custom+json"}}}
	c, err := e.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if string(srv.got) != `{"assistant_id":"abc"}` {
		t.Errorf("body = %s", srv.got)
	}
	if srv.header.Get("Content-Type") != "application/vnd.custom+json" {
		t.Errorf("a -H header must replace the default: %q", srv.header.Get("Content-Type"))
	}
	if c.URL != "ws://127.0.0.1:7880" || c.Room != "from-answer" || c.CallID != "c-9" {
		t.Errorf("credentials = %+v", c)
	}

	e.ServerURL = ""
	_, err = e.Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "has no server_url") || !errors.Is(err, ErrEndpointNoServerURL) {
		t.Errorf("no server URL anywhere: %v / %s", err, failure.HintOf(err))
	}
	assertDomainWords(t, err)
}

func TestEndpointEmptyRequestIsEmptyObject(t *testing.T) {
	srv, url := newTokenServer(t, func(tok string) any { return map[string]string{"server_url": "wss://x", "participant_token": tok} })
	if _, err := (Endpoint{URL: url}).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if string(srv.got) != "{}" {
		t.Errorf("body = %s, want {}", srv.got)
	}
}

func TestEndpointErrors(t *testing.T) {
	noLeaks(t)
	expired := fakeJWT(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	tests := []struct {
		name   string
		status int
		body   string
		kind   failure.Kind
		want   string
		cond   error // nil: the error names no condition
	}{
		{"401 detail", 401, `{"detail":"missing session cookie"}`, failure.Auth, "answered 401 Unauthorized: missing session cookie", ErrEndpointAuth},
		{"403 error", 403, `{"error":"tenant suspended"}`, failure.Auth, "answered 403 Forbidden: tenant suspended", ErrEndpointAuth},
		{"400 message", 400, `{"message":"room_config is not allowed"}`, failure.Rejected, "answered 400 Bad Request: room_config is not allowed", ErrEndpointRefused},
		{"422 nested error", 422, `{"error":{"message":"bad identity"}}`, failure.Rejected, "answered 422 Unprocessable Entity: bad identity", ErrEndpointRefused},
		{"404", 404, `not here`, failure.Rejected, "answered 404 Not Found: not here", ErrNotTokenEndpoint},
		{"429", 429, `{"detail":"slow down"}`, failure.Busy, "answered 429 Too Many Requests: slow down", nil},
		{"500 html", 500, `<html><body>oops</body></html>`, failure.Connect, "answered 500 Internal Server Error", nil},
		{"503 plain", 503, "upstream\x1b[31m down\n", failure.Connect, "answered 503 Service Unavailable: upstream [31m down", nil},
		{"200 not json", 200, `token=abc`, failure.Connect, "answered 200 but not with a JSON object", ErrNotTokenEndpoint},
		{"200 no token", 200, `{"server_url":"wss://x"}`, failure.Connect, "has no participant_token or token field", nil},
		{"200 token not jwt", 200, `{"server_url":"wss://x","token":"opaque-session-value"}`, failure.Connect, "a token that is not a JWT", ErrEndpointNotJWT},
		{"200 expired token", 200, `{"server_url":"wss://x","token":"` + expired + `"}`, failure.Auth, "handed out an expired token: the token expired at", ErrTokenExpired},
		{"200 bad server url", 200, `{"server_url":"ftp://x","token":"` + fakeJWT(t, map[string]any{}) + `"}`, failure.Connect, "is unusable: the server URL \"ftp://x\" has scheme \"ftp\"", ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			e := Endpoint{URL: srv.URL + "/token?key=query-secret-123", Header: http.Header{"Authorization": {"Bearer header-secret-456"}}}
			_, err := e.Fetch(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), srv.URL+"/token") {
				t.Errorf("message does not say which endpoint: %q", err)
			}
			if k := failure.KindOf(err); k != tt.kind {
				t.Errorf("kind = %v, want %v", k, tt.kind)
			}
			if failure.HintOf(err) == "" {
				t.Error("no hint")
			}
			assertDomainWords(t, err)
			if tt.cond != nil && !errors.Is(err, tt.cond) {
				t.Errorf("the error does not name the condition %q", tt.cond)
			}
			all := err.Error() + failure.HintOf(err)
			for _, secret := range []string{"query-secret-123", "header-secret-456", "opaque-session-value", expired} {
				if strings.Contains(all, secret) {
					t.Errorf("error shows a secret: %q", all)
				}
			}
		})
	}
}

// TestEndpointCheck: what can be known to fail is refused before anything
// is sent, by Check and by Fetch alike.
func TestEndpointCheck(t *testing.T) {
	srv, url := newTokenServer(t, func(tok string) any { return map[string]string{"server_url": "wss://x", "participant_token": tok} })
	tests := []struct {
		name string
		e    Endpoint
		kind failure.Kind
		want string
		cond error
	}{
		{"not http", Endpoint{URL: "ftp://backend.example/token"}, failure.Usage,
			"the token endpoint ftp://backend.example/token is not an http:// or https:// URL", ErrBadEndpointURL},
		{"no host", Endpoint{URL: "https:///token"}, failure.Usage, "is not an http:// or https:// URL", ErrBadEndpointURL},
		{"query not shown", Endpoint{URL: "ftp://backend.example/token?key=query-secret-123"}, failure.Usage,
			"the token endpoint ftp://backend.example/token is not", ErrBadEndpointURL},
		{"body not json", Endpoint{URL: url, Body: []byte(`{"room_name": support}`)}, failure.Input,
			"the token request body is not valid JSON (syntax error at byte 15)", ErrBadRequestBody},
		{"agent metadata without name", Endpoint{URL: url, Request: EndpointRequest{
			RoomConfig: &EndpointRoomConfig{Agents: []EndpointAgent{{Metadata: "{}"}}}}}, failure.Usage,
			"agent metadata was given without an agent name", ErrAgentMetadataWithoutName},
		{"bad server url", Endpoint{URL: url, ServerURL: "127.0.0.1:7880"}, failure.Usage,
			`the server URL "127.0.0.1:7880" has no scheme`, ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checked := tt.e.Check()
			_, err := tt.e.Fetch(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if checked == nil || checked.Error() != err.Error() {
				t.Errorf("Check = %v, but Fetch refused with %v", checked, err)
			}
			if k := failure.KindOf(err); k != tt.kind || !errors.Is(err, tt.cond) || failure.HintOf(err) == "" {
				t.Errorf("kind %v, condition %v, hint %q; want %v, %q and a hint", k, errors.Is(err, tt.cond), failure.HintOf(err), tt.kind, tt.cond)
			}
			assertDomainWords(t, err)
			if strings.Contains(err.Error()+failure.HintOf(err), "query-secret-123") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
	if srv.got != nil {
		t.Errorf("a request was sent: %s", srv.got)
	}
}

func TestEndpointUnreachable(t *testing.T) {
	noLeaks(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := Endpoint{URL: url + "/t?sig=query-secret"}.Fetch(context.Background())
	if failure.KindOf(err) != failure.Connect || !strings.Contains(err.Error(), "could not reach the token endpoint at "+url+"/t") ||
		strings.Contains(err.Error(), "query-secret") {
		t.Errorf("err = %v (kind %v)", err, failure.KindOf(err))
	}
}

func TestErrorDetailClips(t *testing.T) {
	long := strings.Repeat("x", 500)
	if got := errorDetail([]byte(`{"detail":"` + long + `"}`)); len([]rune(got)) != 301 {
		t.Errorf("not clipped: %d runes", len([]rune(got)))
	}
}

// TestEndpointRedirects: a redirect within the endpoint's host is
// followed; one to another host is refused, since it would receive the
// request's credential headers.
func TestEndpointRedirects(t *testing.T) {
	noLeaks(t)
	var leaked string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("X-Api-Key")
	}))
	defer other.Close()

	mux := http.NewServeMux()
	mux.Handle("/token", &tokenServer{t: t, shape: func(tok string) any { return map[string]string{"server_url": "wss://x", "token": tok} }})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/token", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		// localhost is another host than 127.0.0.1, to Go as to a browser.
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1), http.StatusTemporaryRedirect)
	})
	front := httptest.NewServer(mux)
	defer front.Close()

	if _, err := (Endpoint{URL: front.URL + "/moved"}).Fetch(context.Background()); err != nil {
		t.Errorf("same-host redirect: %v", err)
	}
	_, err := Endpoint{URL: front.URL + "/away", Header: http.Header{"X-Api-Key": {"redirect-secret"}}}.Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "refused a redirect to another host") || failure.KindOf(err) != failure.Connect {
		t.Errorf("cross-host redirect: %v", err)
	}
	if leaked != "" {
		t.Error("the credential header reached the other host")
	}
}
