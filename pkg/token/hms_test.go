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
	"github.com/webcall-cli/webcall/pkg/token/hmstest"
)

const (
	hmsKey       = "hms_live_4b1d9e0c7a2f4e55a0b3c6d7e8f90123"
	hmsPoorKey   = "hms_live_org_without_credits_0000000000"
	hmsAssistant = "17a0cb75-fa09-4bdd-9a44-92a70d829c88"
	otherOrgAsst = "2b4c6d8e-0000-4000-8000-000000000001"
	hmsUserAgent = "webcall/test"
	hmsServerWSS = "wss://rtc.hms.test"
)

func newFakeHMS(t *testing.T) *hmstest.Server {
	s := hmstest.New(hmstest.Options{
		APIKey:       hmsKey,
		NoCreditsKey: hmsPoorKey,
		Assistants:   []string{hmsAssistant},
		ServerURL:    hmsServerWSS,
	})
	t.Cleanup(s.Close)
	return s
}

func lastRequest(t *testing.T, s *hmstest.Server) hmstest.Request {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		t.Fatal("the server received no request")
	}
	return reqs[len(reqs)-1]
}

func hmsSource(base string) HMS {
	return HMS{APIBase: base, APIKey: hmsKey, UserAgent: hmsUserAgent}
}

func TestHMSModes(t *testing.T) {
	transient := `{"stt_config":{"provider":"deepgram","model":"nova-3","language":"en"},` +
		`"llm_config":{"provider":"openai","model":"gpt-4.1-mini","messages":[{"role":"system","content":"You are a helpful assistant."}]},` +
		`"tts_config":{"provider":"elevenlabs","voice_id":"your-voice-id"},"first_message":"Hello! How can I help you?"}`
	tests := []struct {
		name string
		src  func(HMS) HMS
		want string // the request body the API receives, as JSON
	}{
		{"reference", func(h HMS) HMS { h.AssistantID = hmsAssistant; return h },
			`{"assistant_id":"` + hmsAssistant + `"}`},
		{"hybrid", func(h HMS) HMS {
			h.AssistantID = hmsAssistant
			h.AssistantOverride = json.RawMessage(`{"first_message":"Custom greeting!","llm_config":{"messages":[{"role":"system","content":"You are a sales assistant."}]}}`)
			return h
		}, `{"assistant_id":"` + hmsAssistant + `","assistant_override":{"first_message":"Custom greeting!","llm_config":{"messages":[{"role":"system","content":"You are a sales assistant."}]}}}`},
		{"transient", func(h HMS) HMS { h.Assistant = json.RawMessage(transient); return h },
			`{"assistant":` + transient + `}`},
		{"reference with metadata becomes hybrid", func(h HMS) HMS {
			h.AssistantID = hmsAssistant
			h.Metadata = map[string]string{"user_id": "usr_8f3a2b1c", "UserID": "42", "sessionId": "ses_9d4e3c2b"}
			return h
		}, `{"assistant_id":"` + hmsAssistant + `","assistant_override":{"metadata":{"UserID":"42","sessionId":"ses_9d4e3c2b","user_id":"usr_8f3a2b1c"}}}`},
		{"hybrid metadata merges, flags win", func(h HMS) HMS {
			h.AssistantID = hmsAssistant
			h.AssistantOverride = json.RawMessage(`{"first_message":"Hi","metadata":{"Plan":"pro","user_id":"old"}}`)
			h.Metadata = map[string]string{"user_id": "usr_1", "CRM-Ref": "A-7"}
			return h
		}, `{"assistant_id":"` + hmsAssistant + `","assistant_override":{"first_message":"Hi","metadata":{"CRM-Ref":"A-7","Plan":"pro","user_id":"usr_1"}}}`},
		{"transient metadata goes into the assistant", func(h HMS) HMS {
			h.Assistant = json.RawMessage(transient)
			h.Metadata = map[string]string{"UserID": "u1"}
			return h
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeHMS(t)
			now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			src := tt.src(hmsSource(fake.URL))
			src.Now = func() time.Time { return now }
			c, err := src.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			req := lastRequest(t, fake)
			got, _ := json.Marshal(req.Body)
			if tt.want != "" && !jsonEqual(t, string(got), tt.want) {
				t.Errorf("request body\n got %s\nwant %s", got, tt.want)
			}
			if tt.name == "transient metadata goes into the assistant" {
				var a struct {
					Assistant struct {
						Metadata  map[string]string `json:"metadata"`
						STTConfig json.RawMessage   `json:"stt_config"`
					} `json:"assistant"`
				}
				json.Unmarshal(got, &a)
				if a.Assistant.Metadata["UserID"] != "u1" || a.Assistant.STTConfig == nil {
					t.Errorf("inline assistant = %s", got)
				}
			}
			if c.URL != hmsServerWSS || c.Provider != "hms" || c.CallID != "3f2a1b4c-5d6e-7f8a-9b0c-000000000001" ||
				c.Room != "web-00000001" || c.Identity != "web-user-00000001" || c.Token == "" {
				t.Errorf("credentials = %+v", c)
			}
			if !c.ExpiresAt.Equal(now.Add(5*time.Minute)) || c.MaxDuration != 5*time.Minute {
				t.Errorf("limits: expires %v, max %v; want 5 minutes each", c.ExpiresAt, c.MaxDuration)
			}
			h := req.Header
			if h.Get("Authorization") != "Bearer "+hmsKey || h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != hmsUserAgent {
				t.Errorf("headers: auth ok %v, content type %q, user agent %q",
					h.Get("Authorization") == "Bearer "+hmsKey, h.Get("Content-Type"), h.Get("User-Agent"))
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// TestHMSLocalValidation: every documented 400 condition is caught before
// sending, with the API's own words, and nothing reaches the server.
func TestHMSLocalValidation(t *testing.T) {
	full := `{"stt_config":{},"llm_config":{},"tts_config":{}}`
	tests := []struct {
		name string
		h    HMS
		kind failure.Kind
		want string
		cond error
	}{
		{"nothing", HMS{}, failure.Usage, "Must provide assistant_id, assistant, or both", ErrNoAssistant},
		{"override without id", HMS{AssistantOverride: json.RawMessage(`{"first_message":"x"}`)}, failure.Usage,
			"assistant_override requires assistant_id", ErrOverrideWithoutID},
		{"override and assistant", HMS{AssistantID: hmsAssistant, AssistantOverride: json.RawMessage(`{}`), Assistant: json.RawMessage(full)},
			failure.Usage, "Cannot provide both assistant and assistant_override", ErrOverrideAndAssistant},
		{"transient missing configs", HMS{Assistant: json.RawMessage(`{"stt_config":{},"first_message":"hi"}`)}, failure.Usage,
			"HMS would refuse this web call (the inline assistant lacks llm_config, tts_config): Transient assistant must provide: stt_config, llm_config, tts_config",
			ErrIncompleteAssistant},
		{"transient null config", HMS{Assistant: json.RawMessage(`{"stt_config":{},"llm_config":null,"tts_config":{}}`)}, failure.Usage,
			"(the inline assistant lacks llm_config): Transient assistant must provide", ErrIncompleteAssistant},
		{"id not a uuid", HMS{AssistantID: "my-assistant"}, failure.Usage, `the assistant id "my-assistant" is not a UUID`, ErrAssistantIDNotUUID},
		{"override not an object", HMS{AssistantID: hmsAssistant, AssistantOverride: json.RawMessage(`[1,2]`)}, failure.Input,
			"the assistant override is not a JSON object", ErrBadOverride},
		{"override not json", HMS{AssistantID: hmsAssistant, AssistantOverride: json.RawMessage(`{"a":}`)}, failure.Input,
			"the assistant override is not valid JSON (syntax error at byte 6)", ErrBadOverride},
		{"override empty", HMS{AssistantID: hmsAssistant, AssistantOverride: json.RawMessage{}}, failure.Input,
			"the assistant override is not valid JSON (it is empty)", ErrBadOverride},
		{"assistant not json", HMS{Assistant: json.RawMessage(`{stt`)}, failure.Input,
			"the inline assistant is not valid JSON (syntax error at byte 2)", ErrBadAssistant},
		{"assistant not an object", HMS{Assistant: json.RawMessage(`"x"`)}, failure.Input,
			"the inline assistant is not a JSON object", ErrBadAssistant},
		{"metadata not an object", HMS{AssistantID: hmsAssistant, AssistantOverride: json.RawMessage(`{"metadata":"x"}`),
			Metadata: map[string]string{"a": "b"}}, failure.Input, "the metadata in the assistant configuration is not a JSON object", ErrBadMetadata},
		{"plain http elsewhere", HMS{APIBase: "http://api.example.com", AssistantID: hmsAssistant}, failure.Usage,
			`the HMS API base "http://api.example.com" uses plain http, which would send the API key unencrypted`, ErrBadAPIBase},
		{"api base not http", HMS{APIBase: "ftp://api.example.com", AssistantID: hmsAssistant}, failure.Usage,
			`the HMS API base "ftp://api.example.com" is not an http(s) URL`, ErrBadAPIBase},
		{"no key", HMS{AssistantID: hmsAssistant}, failure.Usage, "no HMS API key given", ErrNoHMSKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeHMS(t)
			h := tt.h
			if h.APIBase == "" {
				h.APIBase = fake.URL
			}
			if tt.name != "no key" {
				h.APIKey = hmsKey
			}
			checked := h.Check()
			_, err := h.Fetch(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if checked == nil || checked.Error() != err.Error() {
				t.Errorf("Check = %v, but Fetch refused with %v", checked, err)
			}
			if k := failure.KindOf(err); k != tt.kind {
				t.Errorf("kind = %v, want %v", k, tt.kind)
			}
			if !errors.Is(err, tt.cond) {
				t.Errorf("the error does not name the condition %q", tt.cond)
			}
			if failure.HintOf(err) == "" {
				t.Error("no hint")
			}
			if n := len(fake.Requests()); n != 0 {
				t.Errorf("%d requests were sent for an invalid call", n)
			}
			assertNoHMSSecret(t, err)
			assertDomainWords(t, err)
		})
	}
}

// TestHMSErrorStatuses: every row of the documented error table, produced
// by a server that behaves as documented where the condition can be set up,
// and otherwise answered as documented, becomes a message a person can act
// on and the failure kind a script branches on.
func TestHMSErrorStatuses(t *testing.T) {
	noLeaks(t)
	tests := []struct {
		name    string
		status  int
		detail  string
		kind    failure.Kind
		msg     string
		hint    string
		cond    error                                   // nil: the error names no condition
		prepare func(*testing.T, *hmstest.Server, *HMS) // nil: a server that answers status and detail
	}{
		{name: "400 no assistant", status: 400, detail: "Must provide assistant_id, assistant, or both", kind: failure.Rejected,
			msg: "HMS refused the web-call request (400 Bad Request: Must provide assistant_id, assistant, or both)", hint: "HMS web-call docs",
			cond: ErrHMSRefused},
		{name: "400 override without id", status: 400, detail: "assistant_override requires assistant_id", kind: failure.Rejected,
			msg: "(400 Bad Request: assistant_override requires assistant_id)"},
		{name: "400 both", status: 400, detail: "Cannot provide both assistant and assistant_override", kind: failure.Rejected,
			msg: "(400 Bad Request: Cannot provide both assistant and assistant_override)"},
		{name: "400 transient", status: 400, detail: "Transient assistant must provide: stt_config, llm_config, tts_config", kind: failure.Rejected,
			msg: "(400 Bad Request: Transient assistant must provide: stt_config, llm_config, tts_config)"},
		{name: "401", kind: failure.Auth,
			msg:     "HMS did not accept the API key (401 Unauthorized: Invalid API key)",
			hint:    "Settings > API Keys",
			cond:    ErrHMSKeyRefused,
			prepare: func(_ *testing.T, _ *hmstest.Server, h *HMS) { h.APIKey = "hms_live_revoked_key_111111111111" }},
		{name: "402", kind: failure.Rejected,
			msg:     "the organization has no credits left to start a web call (402 Payment Required: Insufficient credits to start web call)",
			hint:    "top up",
			prepare: func(_ *testing.T, _ *hmstest.Server, h *HMS) { h.APIKey = hmsPoorKey }},
		{name: "403", kind: failure.Rejected,
			msg:     "assistant " + otherOrgAsst + " was not found or does not belong to this organization (403 Forbidden: Assistant not found or does not belong to this organization)",
			hint:    "check the assistant id",
			cond:    ErrAssistantNotFound,
			prepare: func(_ *testing.T, _ *hmstest.Server, h *HMS) { h.AssistantID = otherOrgAsst }},
		{name: "429", kind: failure.Busy,
			msg:  "the organization already has its maximum of 3 concurrent web calls (429 Too Many Requests: Maximum 3 concurrent web calls per organization)",
			hint: "wait for a running call to end (a call lasts at most 5 minutes)",
			prepare: func(t *testing.T, _ *hmstest.Server, h *HMS) {
				for range HMSMaxConcurrentCalls {
					if _, err := h.Fetch(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			}},
		{name: "500", kind: failure.Connect,
			msg:     "HMS failed to create the web call (500 Internal Server Error: Failed to create web call session: voice room service unavailable)",
			hint:    "try again",
			prepare: func(_ *testing.T, f *hmstest.Server, h *HMS) { f.Fail500("voice room service unavailable") }},
		{name: "502 html", status: 502, detail: "<html>bad gateway</html>", kind: failure.Connect,
			msg: "HMS failed to create the web call (502 Bad Gateway)"},
		{name: "404 wrong base", status: 404, detail: "Not Found", kind: failure.Rejected,
			msg: "there is no web-call API at", hint: HMSDefaultAPIBase, cond: ErrNotHMSAPI},
		{name: "422 validation list", status: 422, kind: failure.Rejected,
			detail: `[{"loc":["body","assistant_id"],"msg":"value is not a valid uuid","type":"type_error.uuid"}]`,
			msg:    "HMS refused the web call (422 Unprocessable Entity: body.assistant_id: value is not a valid uuid)", cond: ErrHMSRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hmsSource("")
			h.AssistantID = hmsAssistant
			if tt.prepare != nil {
				fake := newFakeHMS(t)
				h.APIBase = fake.URL
				tt.prepare(t, fake, &h)
			} else {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(tt.status)
					if strings.HasPrefix(tt.detail, "<") {
						io.WriteString(w, tt.detail)
						return
					}
					raw := json.RawMessage(tt.detail)
					if !json.Valid(raw) {
						raw, _ = json.Marshal(tt.detail)
					}
					json.NewEncoder(w).Encode(map[string]json.RawMessage{"detail": raw})
				}))
				t.Cleanup(srv.Close)
				h.APIBase = srv.URL
			}
			_, err := h.Fetch(context.Background())
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message\n got %q\nwant it to contain %q", err.Error(), tt.msg)
			}
			if k := failure.KindOf(err); k != tt.kind {
				t.Errorf("kind = %v, want %v", k, tt.kind)
			}
			if hint := failure.HintOf(err); hint == "" || !strings.Contains(hint, tt.hint) {
				t.Errorf("hint %q does not contain %q", hint, tt.hint)
			}
			if tt.cond != nil && !errors.Is(err, tt.cond) {
				t.Errorf("the error does not name the condition %q", tt.cond)
			}
			assertNoHMSSecret(t, err)
			assertDomainWords(t, err)
		})
	}
}

// TestHMSConcurrencyLimit runs into the documented limit: three calls are
// created, the fourth is refused as Busy until one ends.
func TestHMSConcurrencyLimit(t *testing.T) {
	fake := newFakeHMS(t)
	h := hmsSource(fake.URL)
	h.AssistantID = hmsAssistant
	seen := map[string]bool{}
	for i := range HMSMaxConcurrentCalls {
		c, err := h.Fetch(context.Background())
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if seen[c.CallID] {
			t.Errorf("call id %s handed out twice", c.CallID)
		}
		seen[c.CallID] = true
	}
	_, err := h.Fetch(context.Background())
	if failure.KindOf(err) != failure.Busy || !strings.Contains(err.Error(), "maximum of 3 concurrent web calls") {
		t.Fatalf("fourth call: %v (kind %v), want busy", err, failure.KindOf(err))
	}
	for id := range seen {
		fake.EndCall(id)
		break
	}
	if _, err := h.Fetch(context.Background()); err != nil {
		t.Errorf("after a call ended: %v", err)
	}
}

func TestHMSMalformedAnswers(t *testing.T) {
	noLeaks(t)
	tests := []struct {
		name, body, want string
	}{
		{"not json", "OK", "answered 200 but not with JSON"},
		{"no token", `{"success":true,"call_id":"c1","room_name":"r","server_url":"wss://x"}`, "has no token or server_url"},
		{"bad server url", `{"success":true,"token":"a.b.c","server_url":"rtc.example.com"}`, "server_url is unusable"},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tt.body) }))
		h := hmsSource(srv.URL)
		h.AssistantID = hmsAssistant
		_, err := h.Fetch(context.Background())
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), tt.want) || failure.KindOf(err) != failure.Connect {
			t.Errorf("%s: err = %v (kind %v), want connect failure %q", tt.name, err, failure.KindOf(err), tt.want)
		}
		assertDomainWords(t, err)
	}
}

func TestHMSUnreachableAndCancelled(t *testing.T) {
	noLeaks(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there now
	h := hmsSource(base)
	h.AssistantID = hmsAssistant
	_, err := h.Fetch(context.Background())
	if failure.KindOf(err) != failure.Connect || !strings.Contains(err.Error(), "could not reach the HMS API at "+base+"/v1/web-calls") {
		t.Errorf("unreachable: %v (kind %v)", err, failure.KindOf(err))
	}
	assertNoHMSSecret(t, err)

	block := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	defer hang.Close()
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	h.APIBase = hang.URL
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err = h.Fetch(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	var fe *failure.Error
	if errors.As(err, &fe) {
		t.Errorf("a cancelled request must not look like a %v failure", fe.Kind)
	}
}

func TestHMSDefaultBase(t *testing.T) {
	got, err := hmsAPIBase("")
	if err != nil || got != "https://assistant-api.hmsovereign.com" {
		t.Errorf("default base = %q, %v", got, err)
	}
	if got, err := hmsAPIBase("https://api.example.com/"); err != nil || got != "https://api.example.com" {
		t.Errorf("trailing slash: %q, %v", got, err)
	}
	if _, err := hmsAPIBase("ftp://x"); failure.KindOf(err) != failure.Usage {
		t.Errorf("ftp: %v", err)
	}
}

func assertNoHMSSecret(t *testing.T, err error) {
	t.Helper()
	all := err.Error() + " " + failure.HintOf(err)
	for _, s := range []string{hmsKey, hmsPoorKey, "hms_live_revoked_key"} {
		if strings.Contains(all, s) {
			t.Errorf("error shows an API key: %q", all)
		}
	}
}

// TestHMSLocalWordsMatchServer sends each invalid body straight to the
// documented server and checks that the local check says the same words.
func TestHMSLocalWordsMatchServer(t *testing.T) {
	fake := newFakeHMS(t)
	for _, tt := range []struct {
		body string
		h    HMS
	}{
		{`{}`, HMS{}},
		{`{"assistant_override":{}}`, HMS{AssistantOverride: json.RawMessage(`{}`)}},
		{`{"assistant_id":"` + hmsAssistant + `","assistant_override":{},"assistant":{}}`,
			HMS{AssistantID: hmsAssistant, AssistantOverride: json.RawMessage(`{}`), Assistant: json.RawMessage(`{}`)}},
		{`{"assistant":{"stt_config":{}}}`, HMS{Assistant: json.RawMessage(`{"stt_config":{}}`)}},
	} {
		resp, err := postJSON(context.Background(), nil, fake.URL+"/v1/web-calls",
			http.Header{"Authorization": {"Bearer " + hmsKey}}, []byte(tt.body), "", "test")
		if err != nil || resp.status != 400 {
			t.Fatalf("%s: %d, %v", tt.body, resp.status, err)
		}
		server := errorDetail(resp.body)
		_, local := tt.h.RequestBody()
		if local == nil || !strings.HasSuffix(local.Error(), ": "+server) {
			t.Errorf("%s: server says %q, local check says %v", tt.body, server, local)
		}
	}
}
