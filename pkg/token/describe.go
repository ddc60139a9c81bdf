package token

import (
	"fmt"
	"sort"
	"strings"
)

// The String and GoString methods below describe credentials and sources
// for logs and debugging without any secret in them, so that printing one
// with %v, %+v or %#v is always safe.

// hidden says whether a secret is present without showing it.
func hidden(secret string) string {
	if secret == "" {
		return "none"
	}
	return "hidden"
}

func (c Credentials) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "credentials{url=%s room=%q identity=%q token=%s", c.URL, c.Room, c.Identity, hidden(c.Token))
	if c.Provider != "" {
		fmt.Fprintf(&b, " provider=%s call=%s", c.Provider, c.CallID)
	}
	if !c.ExpiresAt.IsZero() {
		fmt.Fprintf(&b, " expires=%s", c.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if c.MaxDuration > 0 {
		fmt.Fprintf(&b, " max=%s", c.MaxDuration)
	}
	b.WriteString("}")
	return b.String()
}

// GoString keeps %#v from printing the fields (and so the token).
func (c Credentials) GoString() string { return c.String() }

func (s Static) String() string {
	return fmt.Sprintf("literal token{url=%s token=%s}", s.URL, hidden(s.Token))
}

func (s Static) GoString() string { return s.String() }

func (m Minted) String() string {
	return fmt.Sprintf("minted token{url=%s room=%q identity=%q agent=%q key=%s secret=%s}",
		m.URL, m.Room, m.Identity, m.AgentName, hidden(m.APIKey), hidden(m.APISecret))
}

func (m Minted) GoString() string { return m.String() }

func (e Endpoint) String() string {
	names := make([]string, 0, len(e.Header))
	for k := range e.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprintf("token endpoint{url=%s headers=%v}", safeURL(e.URL), names)
}

func (e Endpoint) GoString() string { return e.String() }

func (h HMS) String() string {
	base := h.APIBase
	if base == "" {
		base = HMSDefaultAPIBase
	}
	return fmt.Sprintf("hms web call{api=%s assistant=%q key=%s}", safeURL(base), h.AssistantID, hidden(h.APIKey))
}

func (h HMS) GoString() string { return h.String() }
