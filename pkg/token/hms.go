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
	override, err := jsonObject(h.AssistantOverride, "the assistant override", ErrBadOverride,
		`give an object such as {"first_message": "Hello!"}`)
	if err != nil {
		return nil, err
	}
	inline, err := jsonObject(h.Assistant, "the inline assistant", ErrBadAssistant,
		"give an object with stt_config, llm_config and tts_config")
	if err != nil {
		return nil, err
	}

	switch {
	// The override rule first: it names the actual mistake when only an
	// override was given.
	case override != nil && id == "":
		return nil, hmsUsage(hmsOverrideNeedsID, ErrOverrideWithoutID,
			"name the saved assistant the override applies to, or give a full inline assistant instead")
	case id == "" && inline == nil:
		return nil, hmsUsage(hmsNoAssistant, ErrNoAssistant,
			"name a saved assistant by its id, or give a full inline assistant")
	case override != nil && inline != nil:
		return nil, hmsUsage(hmsAssistantOverride, ErrOverrideAndAssistant,
			"give either a saved assistant with an override (hybrid mode) or an inline assistant (transient mode)")
	}
	if id != "" && !uuidPattern.MatchString(id) {
		return nil, failure.Newf(failure.Usage, "the assistant id %q is not a UUID", id).WithCond(ErrAssistantIDNotUUID).
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
			// What is missing goes into the message, so that any hint
			// (this one or a command's) can stay general.
			return nil, failure.Newf(failure.Usage, "HMS would refuse this web call (the inline assistant lacks %s): %s",
				strings.Join(missing, ", "), hmsTransientConfigs).WithCond(ErrIncompleteAssistant).
				WithHint("add them to the inline assistant, or name a saved assistant by its id instead")
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

func hmsUsage(apiWords string, cond error, hint string) error {
	return failure.Newf(failure.Usage, "HMS would refuse this web call: %s", apiWords).WithCond(cond).WithHint(hint)
}

// jsonObject decodes a JSON object, keeping every member's value exactly
// as written; what names it in messages. nil in, nil out; empty is not
// JSON (an empty file given for it, say).
func jsonObject(raw json.RawMessage, what string, cond error, hint string) (map[string]json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	if err := json.Unmarshal(raw, new(any)); err != nil {
		return nil, failure.Newf(failure.Input, "%s is not valid JSON (%s)", what, jsonProblem(raw, err)).WithCond(cond).WithHint(hint)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, failure.Newf(failure.Input, "%s is not a JSON object", what).WithCond(cond).WithHint(hint)
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
			return failure.New(failure.Input, "the metadata in the assistant configuration is not a JSON object, so the call's metadata cannot be added to it").
				WithCond(ErrBadMetadata).WithHint(`write it as "metadata": {"key": "value"}`)
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

// Check reports what Fetch would refuse before sending anything, so that
// nothing is counted against the organization for a call that cannot
// work: no API key, an unusable API base, a configuration the API would
// refuse (see RequestBody).
func (h HMS) Check() error {
	_, _, err := h.check()
	return err
}

// check returns the request body and the API base to send it to.
func (h HMS) check() (body []byte, base string, err error) {
	if h.APIKey == "" {
		return nil, "", failure.New(failure.Usage, "no HMS API key given").WithCond(ErrNoHMSKey).
			WithHint("give the organization's API key (HMS Sovereign dashboard: Settings > API Keys)")
	}
	if base, err = hmsAPIBase(h.APIBase); err != nil {
		return nil, "", err
	}
	if body, err = h.RequestBody(); err != nil {
		return nil, "", err
	}
	return body, base, nil
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
	body, base, err := h.check()
	if err != nil {
		return Credentials{}, err
	}
	header := http.Header{"Authorization": {"Bearer " + h.APIKey}}
	const what = "the HMS API"
	resp, err := postJSON(ctx, h.Client, base+"/v1/web-calls", header, body, h.UserAgent, what)
	if err != nil {
		return Credentials{}, err
	}
	return h.credentials(resp, base)
}

// credentials reads the API's answer to a web-call request (see Fetch),
// apart from the network, so that it can be fuzzed.
func (h HMS) credentials(resp httpResponse, base string) (Credentials, error) {
	if resp.status != http.StatusOK && resp.status != http.StatusCreated {
		return Credentials{}, h.statusError(resp, base)
	}
	var a hmsAnswer
	if err := json.Unmarshal(resp.body, &a); err != nil {
		return Credentials{}, failure.Newf(failure.Connect, "the HMS API answered %d but not with JSON", resp.status).
			WithCond(ErrNotHMSAPI).WithHint("check the API base; the documented one is " + HMSDefaultAPIBase)
	}
	if a.Token == "" || a.ServerURL == "" {
		return Credentials{}, failure.New(failure.Connect, "the HMS API created the call but its answer has no token or server_url").
			WithHint("try again; if it persists, report it to HMS Sovereign with the call id " + a.CallID)
	}
	u, err := NormalizeURL(a.ServerURL)
	if err != nil {
		// The hint is about the answer: the URL did not come from the user.
		return Credentials{}, failure.Wrap(failure.Connect, err, "the HMS API's server_url is unusable").
			WithHint("report it to HMS Sovereign with the call id " + a.CallID)
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
		e = failure.Newf(failure.Rejected, "HMS refused the web-call request (%s)", said).WithCond(ErrHMSRefused).
			WithHint("check the assistant id, override and inline assistant against the modes in the HMS web-call docs")
	case http.StatusUnauthorized:
		e = failure.Newf(failure.Auth, "HMS did not accept the API key (%s)", said).WithCond(ErrHMSKeyRefused).
			WithHint("check the API key; organization keys are under Settings > API Keys in the HMS Sovereign dashboard")
	case http.StatusPaymentRequired:
		e = failure.Newf(failure.Rejected, "the organization has no credits left to start a web call (%s)", said).
			WithHint("top up the organization's balance in the HMS Sovereign dashboard")
	case http.StatusForbidden:
		e = failure.Newf(failure.Rejected, "%s was not found or does not belong to this organization (%s)", h.assistantName(), said).
			WithCond(ErrAssistantNotFound).
			WithHint("check the assistant id in the dashboard, and that the API key belongs to the organization that owns the assistant")
	case http.StatusTooManyRequests:
		e = failure.Newf(failure.Busy, "the organization already has its maximum of %d concurrent web calls (%s)", HMSMaxConcurrentCalls, said).
			WithHint(fmt.Sprintf("wait for a running call to end (a call lasts at most %d minutes) and try again", int(HMSMaxCallDuration/time.Minute)))
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		e = failure.Newf(failure.Rejected, "there is no web-call API at %s (%s)", base, said).WithCond(ErrNotHMSAPI).
			WithHint("check the API base; the documented one is " + HMSDefaultAPIBase)
	default:
		if resp.status >= 500 {
			e = failure.Newf(failure.Connect, "HMS failed to create the web call (%s)", said).
				WithHint("the problem is on HMS Sovereign's side; try again in a moment")
		} else {
			e = failure.Newf(failure.Rejected, "HMS refused the web call (%s)", said).WithCond(ErrHMSRefused).
				WithHint("check the call's configuration against the HMS web-call docs")
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
		return "", failure.Newf(failure.Usage, "the HMS API base %q is not an http(s) URL", base).WithCond(ErrBadAPIBase).
			WithHint("leave it unset to use " + HMSDefaultAPIBase)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", failure.Newf(failure.Usage, "the HMS API base %q uses plain http, which would send the API key unencrypted", base).
			WithCond(ErrBadAPIBase).WithHint("use https:// (plain http is allowed only to this machine)")
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
