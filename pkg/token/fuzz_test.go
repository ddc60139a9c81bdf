package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// What a backend or provider hands over is read by three parsers: the
// token endpoint's answer, the HMS API's answer, and the claims of the
// token either of them hands out. The fuzz targets below feed them
// arbitrary bytes; their seeds (f.Add here, and testdata/fuzz/FuzzX) are
// the real shapes the tests use, with tokens minted from the test key.

// fuzzNow is the clock of the fuzz targets: fixed, so that a token's
// expiry decides the same way on every run, and early enough that the
// tokens minted for the seeds are still valid at it.
var fuzzNow = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// seedToken is a real token minted from the test key for the seeds.
func seedToken(f *testing.F) string {
	f.Helper()
	tok, _, err := Minted{APIKey: testKey, APISecret: testSecret, Room: "support-1", Identity: "caller", AgentName: "helper"}.Mint()
	if err != nil {
		f.Fatal(err)
	}
	return tok
}

// checkAccepted holds for credentials any source hands out: the SDK can
// dial the URL and the token is a JWT that has not expired.
func checkAccepted(t *testing.T, c Credentials) {
	t.Helper()
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		t.Fatalf("accepted server URL %q is not ws:// or wss:// with a host", c.URL)
	}
	if c.Token == "" {
		t.Fatal("accepted an empty token")
	}
}

// checkRefusal holds for every error a remote answer causes: a
// *failure.Error of a kind the CLI maps to an exit code, on one line, with
// no control characters a terminal would act on, never repeating the token.
func checkRefusal(t *testing.T, err error, token string) {
	t.Helper()
	var fe *failure.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %T %q is not a *failure.Error", err, err)
	}
	if k := fe.Kind; k == failure.Internal {
		t.Fatalf("internal error for a remote answer: %v", err)
	}
	msg := err.Error()
	if strings.ContainsFunc(msg, func(r rune) bool { return unicode.IsControl(r) }) {
		t.Fatalf("message %q has control characters", msg)
	}
	if len(token) >= 16 && strings.Contains(msg, token) {
		t.Fatalf("message %q repeats the token", msg)
	}
}

func FuzzEndpointAnswer(f *testing.F) {
	tok := seedToken(f)
	for _, body := range []string{
		`{"server_url":"wss://lk.example","participant_token":"` + tok + `"}`,
		`{"token":"` + tok + `","server_url":"wss://lk.example","room_name":"r","call_id":"c1"}`,
		`{"serverUrl":"https://lk.example","participantToken":"` + tok + `"}`,
		`{"accessToken":"` + tok + `"}`,
		`{"participant_token":"not-a-jwt","server_url":"wss://lk.example"}`,
		`{"participant_token":"` + tok + `","server_url":"ftp://lk.example"}`,
		`[]`, `null`, ``, `<html>hello</html>`,
	} {
		f.Add(201, []byte(body))
	}
	f.Add(400, []byte(`{"detail":[{"loc":["body","room_name"],"msg":"field required"}]}`))
	f.Add(403, []byte(`{"error":{"message":"bad key"}}`))
	f.Add(500, []byte("internal\x1b[31m error\n"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := Endpoint{URL: "https://backend.example/api/token?key=secret", Now: func() time.Time { return fuzzNow }}
		c, err := e.credentials(httpResponse{status: status, body: body})
		var a endpointAnswer
		json.Unmarshal(body, &a)
		tok := first(a.ParticipantToken, a.ParticipantTokenCam, a.Token, a.AccessToken)
		if err != nil {
			if strings.Contains(err.Error(), "secret") && !strings.Contains(string(body), "secret") {
				t.Fatalf("message %q shows the endpoint's query", err)
			}
			if status >= 200 && status <= 299 && !strings.Contains(a.ServerURL+a.ServerURLCamel, tok) {
				checkRefusal(t, err, tok)
			}
			return
		}
		if status < 200 || status > 299 {
			t.Fatalf("accepted an answer with status %d", status)
		}
		checkAccepted(t, c)
		if c.Token != tok {
			t.Fatalf("token %q is not the answer's %q", c.Token, tok)
		}
		if _, err := ParseClaims(c.Token); err != nil {
			t.Fatalf("accepted a token whose claims do not parse: %v", err)
		}
		if !c.ExpiresAt.IsZero() && !fuzzNow.Before(c.ExpiresAt) {
			t.Fatalf("accepted a token that expired at %v", c.ExpiresAt)
		}
	})
}

func FuzzHMSAnswer(f *testing.F) {
	tok := seedToken(f)
	for _, body := range []string{
		`{"success":true,"call_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","room_name":"web-call-1","token":"` + tok + `","server_url":"wss://lk.hmsovereign.com"}`,
		`{"success":true,"token":"` + tok + `","server_url":"https://lk.hmsovereign.com"}`,
		`{"success":true,"token":"opaque","server_url":"wss://lk.hmsovereign.com"}`,
		`{"success":true,"token":"` + tok + `"}`,
		`{"success":true,"token":"` + tok + `","server_url":"lk.hmsovereign.com"}`,
		`{}`, `"x"`, ``,
	} {
		f.Add(200, []byte(body))
	}
	f.Add(400, []byte(`{"detail":"Must provide assistant_id, assistant, or both"}`))
	f.Add(429, []byte(`{"detail":"Maximum concurrent calls reached"}`))
	f.Add(503, []byte(`<html>down</html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		h := HMS{APIKey: "sk-fuzz-secret-key", AssistantID: "17a0cb75-fa09-4bdd-9a44-92a70d829c88", Now: func() time.Time { return fuzzNow }}
		c, err := h.credentials(httpResponse{status: status, body: body}, HMSDefaultAPIBase)
		var a hmsAnswer
		json.Unmarshal(body, &a)
		if err != nil {
			if strings.Contains(err.Error(), h.APIKey) {
				t.Fatalf("message %q shows the API key", err)
			}
			if !strings.Contains(a.ServerURL+a.CallID, a.Token) {
				checkRefusal(t, err, a.Token)
			}
			return
		}
		if status != 200 && status != 201 {
			t.Fatalf("accepted an answer with status %d", status)
		}
		checkAccepted(t, c)
		if c.Provider != HMSProvider || c.MaxDuration != HMSMaxCallDuration || !c.ExpiresAt.Equal(fuzzNow.Add(HMSTokenTTL)) {
			t.Fatalf("credentials %+v do not carry HMS's documented limits", c)
		}
	})
}

// FuzzParseClaims reads arbitrary strings as tokens, and checks that a
// claim set built from the fuzzed fields reads back as it was written.
func FuzzParseClaims(f *testing.F) {
	f.Add(seedToken(f), "caller", "support-1", int64(1893456000))
	f.Add("a.b.c", "", "", int64(0))
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.sig", "ü", "room ☃", int64(-1))
	f.Add("  ..  ", "x", "y", int64(1<<62))
	f.Fuzz(func(t *testing.T, token, sub, room string, exp int64) {
		c, err := ParseClaims(token)
		if err != nil {
			if !errors.Is(err, ErrNotJWT) {
				t.Fatalf("error %q is not ErrNotJWT", err)
			}
			if len(token) >= 16 && strings.Contains(err.Error(), token) {
				t.Fatalf("message %q repeats the token", err)
			}
		} else if !c.ExpiresAt.IsZero() {
			// Whatever exp says, checking it neither panics nor
			// refuses a time before it.
			if CheckExpiry(token, c.ExpiresAt.Add(-time.Second)) != nil {
				t.Fatalf("refused before exp %v", c.ExpiresAt)
			}
		}

		if !utf8.ValidString(sub) || !utf8.ValidString(room) {
			return // JSON would change them on the way in
		}
		payload, _ := json.Marshal(map[string]any{"sub": sub, "exp": exp, "video": map[string]any{"room": room}})
		enc := base64.RawURLEncoding.EncodeToString
		built := enc([]byte(`{"alg":"HS256"}`)) + "." + enc(payload) + ".sig"
		got, err := ParseClaims(built)
		if err != nil {
			t.Fatalf("a well-formed token did not parse: %v", err)
		}
		if got.Identity != sub || got.Room != room || got.ExpiresAt.Unix() != exp {
			t.Fatalf("read back %+v from sub %q room %q exp %d", got, sub, room, exp)
		}
	})
}
