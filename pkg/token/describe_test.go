package token

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDescriptionsHideSecrets prints every credential and source in every
// verb a log line might use and looks for the secrets.
func TestDescriptionsHideSecrets(t *testing.T) {
	const (
		tok    = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig-value-1234"
		key    = "APIkey-describe-5678"
		secret = "secret-describe-9012"
		header = "Bearer header-secret-3456"
	)
	values := []any{
		Credentials{URL: "wss://x", Token: tok, Room: "r", Provider: "hms", CallID: "c", ExpiresAt: time.Now(), MaxDuration: time.Minute},
		Static{URL: "wss://x", Token: tok},
		Minted{URL: "wss://x", APIKey: key, APISecret: secret, Room: "r"},
		Endpoint{URL: "https://backend/token?key=" + key, Header: http.Header{"Authorization": {header}}},
		HMS{APIKey: key, AssistantID: "a"},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range []string{tok, key, secret, header, "header-secret"} {
				if strings.Contains(out, s) {
					t.Errorf("%s of %T shows a secret: %s", verb, v, out)
				}
			}
			if !strings.Contains(out, "hidden") && !strings.Contains(out, "Authorization") {
				t.Errorf("%s of %T does not say a secret is set: %s", verb, v, out)
			}
		}
	}
}
