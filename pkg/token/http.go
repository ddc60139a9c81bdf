package token

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// HTTPTimeout bounds one request to a token endpoint or provider API when
// the caller's context has no earlier deadline. Creating a call can take a
// few seconds (the provider creates a room and dispatches an agent); a
// minute of silence means something is wrong.
const HTTPTimeout = 30 * time.Second

// DefaultUserAgent is sent when a source's UserAgent is empty.
const DefaultUserAgent = "webcall"

// MaxResponseBytes caps how much of a response is read: a token answer is
// a few kilobytes, and an endpoint that sends more is broken (or hostile).
// A larger answer is refused, not cut: cut JSON would fail to parse with a
// message that hides the real problem.
const MaxResponseBytes = 1 << 20

// httpResponse is a response body read in full.
type httpResponse struct {
	status int
	body   []byte
}

// postJSON sends body to target and reads the answer. what names the remote
// side in messages ("the token endpoint", "the HMS API"). Network failures
// are Connect errors; a cancelled context is returned as is, so that the
// caller sees an interruption and not a connection problem.
func postJSON(ctx context.Context, client *http.Client, target string, header http.Header, body []byte, userAgent, what string) (httpResponse, error) {
	if client == nil {
		client = defaultClient()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return httpResponse{}, failure.Newf(failure.Usage, "cannot send a request to %s at %s", what, safeURL(target))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if userAgent == "" {
		userAgent = DefaultUserAgent
	}
	req.Header.Set("User-Agent", userAgent)
	for name, values := range header {
		req.Header.Del(name)
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return httpResponse{}, fmt.Errorf("ask %s: %w", what, ctx.Err())
		}
		if isCertificateError(err) {
			return httpResponse{}, failure.Wrap(failure.Connect, netCause(err), fmt.Sprintf("could not reach %s at %s: its TLS certificate was refused", what, safeURL(target))).
				WithCond(ErrServerCertificate).
				WithHint("if it uses a private CA, trust its certificate; check the host name in the address")
		}
		return httpResponse{}, failure.Wrap(failure.Connect, netCause(err), fmt.Sprintf("could not reach %s at %s", what, safeURL(target))).
			WithHint("check the address and your network connection")
	}
	defer resp.Body.Close()
	// A declared length is refused before reading; an undeclared one
	// (chunked) is read one byte past the limit to tell "at the limit"
	// from "over it".
	if resp.ContentLength > MaxResponseBytes {
		return httpResponse{}, tooLarge(what, target)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return httpResponse{}, fmt.Errorf("read the answer of %s: %w", what, ctx.Err())
		}
		return httpResponse{}, failure.Wrap(failure.Connect, netCause(err), fmt.Sprintf("the answer of %s at %s broke off", what, safeURL(target)))
	}
	if len(b) > MaxResponseBytes {
		return httpResponse{}, tooLarge(what, target)
	}
	return httpResponse{status: resp.StatusCode, body: b}, nil
}

func tooLarge(what, target string) error {
	return failure.Newf(failure.Connect, "the answer of %s at %s is larger than %d MiB, far more than a token answer; it was not read",
		what, safeURL(target), MaxResponseBytes>>20).WithCond(ErrResponseTooLarge).
		WithHint("check the address: it should be the route that answers with a token, not a page or a file")
}

// sameHostRedirect follows redirects within the host the user named, and
// refuses others: Go drops Authorization and Cookie on a redirect to
// another host, but not custom credential headers such as X-Api-Key.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("refused a redirect to another host (%s), which would receive the request's headers; use the final address", req.URL.Host)
	}
	return nil
}

// netCause drops the *url.Error wrapper, which repeats the method and the
// full URL (query included) in front of the real cause.
func netCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// safeURL is target without user info, query or fragment, where people put
// keys; what is left is enough to recognize the address.
func safeURL(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "(an invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	u.ForceQuery = false
	return u.String()
}

// errorDetail finds the human-readable reason in an error response body:
// FastAPI's detail (a string, or a list of validation errors), or an error
// or message field (a string, or an object with a message). A body that is
// not JSON is shown if it is short plain text.
func errorDetail(body []byte) string {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		s := strings.TrimSpace(string(body))
		if s == "" || strings.HasPrefix(s, "<") {
			return ""
		}
		return clip(s)
	}
	for _, key := range []string{"detail", "error", "message", "error_description"} {
		raw, ok := fields[key]
		if !ok {
			continue
		}
		if s := detailText(raw); s != "" {
			return clip(s)
		}
	}
	return ""
}

func detailText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Message string `json:"message"`
		Msg     string `json:"msg"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.Message + obj.Msg
	}
	var list []struct {
		Msg string `json:"msg"`
		Loc []any  `json:"loc"`
	}
	if json.Unmarshal(raw, &list) == nil {
		var parts []string
		for _, e := range list {
			if e.Msg == "" {
				continue
			}
			if len(e.Loc) > 0 {
				loc := make([]string, len(e.Loc))
				for i, l := range e.Loc {
					loc[i] = fmt.Sprint(l)
				}
				parts = append(parts, strings.Join(loc, ".")+": "+e.Msg)
			} else {
				parts = append(parts, e.Msg)
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// jsonProblem describes what is wrong with the JSON text b by position,
// without echoing it, since it may hold secrets.
func jsonProblem(b []byte, err error) string {
	if len(bytes.TrimSpace(b)) == 0 {
		return "it is empty"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "it does not parse"
}

// clip makes remote text safe to print on one line: control characters
// (which could move the cursor or recolour the terminal) become spaces, and
// it is cut at 300 characters.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

// statusText is "403 Forbidden", with the remote reason after a colon when
// there is one.
func statusText(status int, detail string) string {
	s := fmt.Sprintf("%d %s", status, http.StatusText(status))
	s = strings.TrimSpace(s)
	if detail != "" {
		s += ": " + detail
	}
	return s
}
