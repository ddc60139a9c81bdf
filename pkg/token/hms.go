package token

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// HMS Sovereign web calls, as documented in "Create Web Call"
// (POST /v1/web-calls). The limits are the documented ones.
const (
	HMSDefaultAPIBase = "https://assistant-api.hmsovereign.com"
	// HMSTokenTTL: the returned token can be used to join for 5 minutes.
	HMSTokenTTL = 5 * time.Minute
	// HMSMaxCallDuration: a web call ends after at most 5 minutes.
	HMSMaxCallDuration = 5 * time.Minute
	// HMSMaxConcurrentCalls per organization; the next one is refused
	// with 429.
	HMSMaxConcurrentCalls = 3
	// HMSProvider is Credentials.Provider for HMS calls.
	HMSProvider = "hms"
)

// The API's own 400 reasons, word for word, so that the local check says
// exactly what the server would.
const (
	hmsNoAssistant       = "Must provide assistant_id, assistant, or both"
	hmsOverrideNeedsID   = "assistant_override requires assistant_id"
	hmsAssistantOverride = "Cannot provide both assistant and assistant_override"
	hmsTransientConfigs  = "Transient assistant must provide: stt_config, llm_config, tts_config"
)

// HMS creates a web call with the HMS Sovereign API (client-side call
// initiation: webcall holds the organization's API key). Each Fetch
// creates a new call, and each call counts against the organization's
// concurrent-call limit until it ends.
type HMS struct {
	// APIBase is the API's scheme and host; empty means HMSDefaultAPIBase.
	APIBase string
	// APIKey is the organization API key. A secret.
	APIKey string

	// The three configuration modes: reference (AssistantID), hybrid
	// (AssistantID and AssistantOverride) and transient (Assistant).
	// AssistantOverride and Assistant are JSON objects.
	AssistantID       string
	AssistantOverride json.RawMessage
	Assistant         json.RawMessage
	// Metadata is merged into the override's (or the inline assistant's)
	// metadata object, keys exactly as given; HMS passes it to every
	// webhook of the call.
	Metadata map[string]string

	Client    *http.Client // nil means a client with HTTPTimeout
	UserAgent string
	Now       func() time.Time // nil means time.Now
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// RequestBody checks the call's configuration by the API's documented
// rules and returns the JSON body to send. A configuration the API would
// refuse with 400 is a usage error with the API's own words, so nothing is
// sent (and no call is counted) for a request that cannot work.
func (h HMS) RequestBody() ([]byte, error) {
	id := strings.TrimSpace(h.AssistantID)
	override, err := jsonObject(h.AssistantOverride, "--assistant-override")
	if err != nil {
		return nil, err
	}
	inline, err := jsonObject(h.Assistant, "--assistant")
	if err != nil {
		return nil, err
	}

	switch {
	// The override rule first: it names the actual mistake when only an
	// override was given.
	case override != nil && id == "":
		return nil, hmsUsage(hmsOverrideNeedsID,
			"pass --assistant-id with the saved assistant the override applies to, or use --assistant for a full inline configuration")
	case id == "" && inline == nil:
		return nil, hmsUsage(hmsNoAssistant,
			"pass --assistant-id with a saved assistant's id, or --assistant with a full inline configuration")
	case override != nil && inline != nil:
		return nil, hmsUsage(hmsAssistantOverride,
			"use either --assistant-id with --assistant-override (hybrid mode) or --assistant (transient mode)")
	}
	if id != "" && !uuidPattern.MatchString(id) {
		return nil, failure.Newf(failure.Usage, "--assistant-id %q is not a UUID", id).
			WithHint("copy the assistant's id from the HMS Sovereign dashboard; it looks like 17a0cb75-fa09-4bdd-9a44-92a70d829c88")
	}
	if inline != nil && id == "" {
		var missing []string
		for _, k := range []string{"stt_config", "llm_config", "tts_config"} {
			if v, ok := inline[k]; !ok || isNull(v) {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return nil, hmsUsage(hmsTransientConfigs,
				"the --assistant configuration lacks "+strings.Join(missing, ", ")+"; add it, or name a saved assistant with --assistant-id")
		}
	}

	if len(h.Metadata) > 0 {
		// Metadata goes where the API reads it: the inline assistant in
		// transient mode, else the override (created for reference mode).
		target := &override
		if inline != nil {
			target = &inline
		}
		if *target == nil {
			*target = map[string]json.RawMessage{}
		}
		if err := mergeMetadata(*target, h.Metadata); err != nil {
			return nil, err
		}
	}

	body := map[string]any{}
	if id != "" {
		body["assistant_id"] = id
	}
	if override != nil {
		body["assistant_override"] = override
	}
	if inline != nil {
		body["assistant"] = inline
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, failure.Wrap(failure.Internal, err, "encode the web-call request")
	}
	return b, nil
}

func hmsUsage(apiWords, hint string) error {
	return failure.Newf(failure.Usage, "HMS would refuse this web call: %s", apiWords).WithHint(hint)
}

// jsonObject decodes a JSON object, keeping every member's value exactly
// as written. nil in, nil out.
func jsonObject(raw json.RawMessage, flag string) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, failure.Newf(failure.Input, "%s is not a JSON object", flag).
			WithHint(`give an object such as '{"first_message": "Hello!"}', or @file to read it from a file`)
	}
	return obj, nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// mergeMetadata sets each key in obj's "metadata" object, keeping the
// metadata already there and every key's casing.
func mergeMetadata(obj map[string]json.RawMessage, md map[string]string) error {
	meta := map[string]json.RawMessage{}
	if raw, ok := obj["metadata"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &meta); err != nil || meta == nil {
			return failure.New(failure.Input, "the metadata in the assistant configuration is not a JSON object, so --metadata cannot be added to it").
				WithHint(`write it as "metadata": {"key": "value"}`)
		}
	}
	for k, v := range md {
		b, err := json.Marshal(v)
		if err != nil {
			return failure.Wrap(failure.Internal, err, "encode metadata")
		}
		meta[k] = b
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return failure.Wrap(failure.Internal, err, "encode metadata")
	}
	obj["metadata"] = b
	return nil
}

// hmsAnswer is the documented 200 response.
type hmsAnswer struct {
	Success   bool   `json:"success"`
	CallID    string `json:"call_id"`
	RoomName  string `json:"room_name"`
	Token     string `json:"token"`
	ServerURL string `json:"server_url"`
}

// Fetch creates a web call and returns its credentials, with the call id
// and room name, and the documented limits: the token must be used within
// HMSTokenTTL and the call lasts at most HMSMaxCallDuration.
func (h HMS) Fetch(ctx context.Context) (Credentials, error) {
	body, err := h.RequestBody()
	if err != nil {
		return Credentials{}, err
	}
	base, err := hmsAPIBase(h.APIBase)
	if err != nil {
		return Credentials{}, err
	}
	if h.APIKey == "" {
		return Credentials{}, failure.New(failure.Usage, "no HMS API key given").
			WithHint("set HMS_API_KEY, or pass --api-key-file with a file that holds the key")
	}
	header := http.Header{"Authorization": {"Bearer " + h.APIKey}}
	const what = "the HMS API"
	resp, err := postJSON(ctx, h.Client, base+"/v1/web-calls", header, body, h.UserAgent, what)
	if err != nil {
		return Credentials{}, err
	}
	if resp.status != http.StatusOK && resp.status != http.StatusCreated {
		return Credentials{}, h.statusError(resp, base)
	}
	var a hmsAnswer
	if err := json.Unmarshal(resp.body, &a); err != nil {
		return Credentials{}, failure.Newf(failure.Connect, "the HMS API answered %d but not with JSON", resp.status).
			WithHint("check --api-base; it should be " + HMSDefaultAPIBase)
	}
	if a.Token == "" || a.ServerURL == "" {
		return Credentials{}, failure.New(failure.Connect, "the HMS API created the call but its answer has no token or server_url").
			WithHint("try again; if it persists, report it to HMS Sovereign with the call id " + a.CallID)
	}
	u, err := NormalizeURL(a.ServerURL)
	if err != nil {
		return Credentials{}, failure.Wrap(failure.Connect, err, "the HMS API's server_url is unusable")
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	c := Credentials{
		URL:         u,
		Token:       a.Token,
		Room:        a.RoomName,
		CallID:      a.CallID,
		Provider:    HMSProvider,
		ExpiresAt:   now().Add(HMSTokenTTL),
		MaxDuration: HMSMaxCallDuration,
	}
	if claims, err := ParseClaims(a.Token); err == nil {
		c.Identity = claims.Identity
		if c.Room == "" {
			c.Room = claims.Room
		}
	}
	return c, nil
}

// statusError turns each documented error status into what happened and
// what to do, of the kind a script branches on.
func (h HMS) statusError(resp httpResponse, base string) error {
	detail := errorDetail(resp.body)
	said := statusText(resp.status, detail)
	var e *failure.Error
	switch resp.status {
	case http.StatusBadRequest:
		e = failure.Newf(failure.Rejected, "HMS refused the web-call request (%s)", said).
			WithHint("check --assistant-id, --assistant-override and --assistant against the modes in the HMS web-call docs")
	case http.StatusUnauthorized:
		e = failure.Newf(failure.Auth, "HMS did not accept the API key (%s)", said).
			WithHint("check HMS_API_KEY or the file given to --api-key-file; organization keys are under Settings > API Keys in the HMS Sovereign dashboard")
	case http.StatusPaymentRequired:
		e = failure.Newf(failure.Rejected, "the organization has no credits left to start a web call (%s)", said).
			WithHint("top up the organization's balance in the HMS Sovereign dashboard")
	case http.StatusForbidden:
		e = failure.Newf(failure.Rejected, "%s was not found or does not belong to this organization (%s)", h.assistantName(), said).
			WithHint("check --assistant-id in the dashboard, and that the API key belongs to the organization that owns the assistant")
	case http.StatusTooManyRequests:
		e = failure.Newf(failure.Busy, "the organization already has its maximum of %d concurrent web calls (%s)", HMSMaxConcurrentCalls, said).
			WithHint(fmt.Sprintf("wait for a running call to end (a call lasts at most %d minutes) and try again", int(HMSMaxCallDuration/time.Minute)))
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		e = failure.Newf(failure.Rejected, "there is no web-call API at %s (%s)", base, said).
			WithHint("check --api-base; the documented one is " + HMSDefaultAPIBase)
	default:
		if resp.status >= 500 {
			e = failure.Newf(failure.Connect, "HMS failed to create the web call (%s)", said).
				WithHint("the problem is on HMS Sovereign's side; try again in a moment")
		} else {
			e = failure.Newf(failure.Rejected, "HMS refused the web call (%s)", said).
				WithHint("check the request flags; see the HMS web-call docs")
		}
	}
	return e
}

func (h HMS) assistantName() string {
	if id := strings.TrimSpace(h.AssistantID); id != "" {
		return "assistant " + id
	}
	return "the assistant"
}

// hmsAPIBase checks the API base URL. The API key travels in a header, so
// plain http is only allowed to this machine (tests, local proxies).
func hmsAPIBase(base string) (string, error) {
	if base == "" {
		base = HMSDefaultAPIBase
	}
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(base), "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", failure.Newf(failure.Usage, "--api-base %q is not an http(s) URL", base).
			WithHint("leave it out to use " + HMSDefaultAPIBase)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", failure.Newf(failure.Usage, "--api-base %q uses plain http, which would send the API key unencrypted", base).
			WithHint("use https:// (plain http is allowed only to this machine)")
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
