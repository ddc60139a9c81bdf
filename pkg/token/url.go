package token

import (
	"net/url"
	"strings"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// urlForm is the advice for every malformed server URL: the two forms
// that work.
const urlForm = "write it as wss://host (or ws://host:7880 for a server without TLS)"

// NormalizeURL checks a LiveKit server URL and returns it in the form the SDK
// dials: ws:// or wss://. People copy URLs from dashboards and docs in both
// the HTTP and the WebSocket spelling, so http:// becomes ws:// and https://
// becomes wss://; anything else is a usage error that says what is expected.
func NormalizeURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", failure.New(failure.Usage, "no LiveKit server URL given").WithCond(ErrNoURL).
			WithHint("give the server's URL, e.g. wss://your-project.livekit.cloud, or ws://127.0.0.1:7880 for a local server")
	}
	if !strings.Contains(s, "://") {
		return "", failure.Newf(failure.Usage, "the server URL %q has no scheme", s).
			WithCond(ErrBadURL).WithHint(urlForm)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", failure.Newf(failure.Usage, "the server URL %q is not a valid URL", s).
			WithCond(ErrBadURL).WithHint(urlForm)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		u.Scheme = "ws"
	case "wss", "https":
		u.Scheme = "wss"
	default:
		return "", failure.Newf(failure.Usage, "the server URL %q has scheme %q; a LiveKit server is reached over ws://, wss://, http:// or https://", s, u.Scheme).
			WithCond(ErrBadURL).WithHint(urlForm)
	}
	if u.Host == "" {
		return "", failure.Newf(failure.Usage, "the server URL %q has no host", s).
			WithCond(ErrBadURL).WithHint(urlForm)
	}
	return u.String(), nil
}
