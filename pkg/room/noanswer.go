package room

import (
	"context"
	"net"
	"net/url"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// probeTimeout bounds the check, after a join timed out, of whether
// anything accepts connections at the server's address.
const probeTimeout = 500 * time.Millisecond

// timeoutError is the error of a join that ran out of time. answered says
// the server sent its answer to the join (its server info): then the
// media path is what failed, and the plain timeout says so. Otherwise a
// short probe tells a server that accepts connections but never answers
// (which no amount of waiting cures) from one that cannot be reached.
func timeoutError(ctx context.Context, rawURL string, timeout time.Duration, answered bool) error {
	if !answered && accepts(ctx, rawURL) {
		return failure.Newf(failure.Connect, "the server at %s accepted the connection but never answered within %s", rawURL, timeout).
			WithCond(ErrNoAnswer).
			WithHint("something listens there that is not answering as a LiveKit server: check the URL (host and port), and that the server is not stuck or behind a proxy that holds WebSockets")
	}
	return failure.Newf(failure.Connect, "could not connect to %s within %s", rawURL, timeout).
		WithCond(ErrConnectTimeout).WithHint("check the URL and your network, or allow more time to connect")
}

// accepts says whether a TCP connection to the URL's host is accepted.
func accepts(ctx context.Context, rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return false
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "wss" || u.Scheme == "https" {
			port = "443"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return false
	}
	c.Close()
	return true
}
