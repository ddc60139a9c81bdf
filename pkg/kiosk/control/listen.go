package control

import (
	"net"
	"net/netip"
	"strings"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// CheckListen refuses a listen address that other machines can reach
// unless the API is protected by a token. Loopback is 127.0.0.0/8, ::1
// (also written as ::ffff:127.x.y.z) and the name localhost; an empty host
// (":8089") means every interface, and any other name could resolve to
// anything, so both count as reachable from elsewhere.
func CheckListen(addr string, haveToken bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return failure.Newf(failure.Usage, "control API address %q is not host:port", addr).
			WithHint("give an address such as 127.0.0.1:8089").
			WithCond(ErrBadAddress)
	}
	if haveToken || IsLoopback(host) {
		return nil
	}
	where := "on " + addr
	if host == "" {
		where = "on every interface (" + addr + ")"
	}
	return failure.Newf(failure.Usage, "the control API would listen %s, which is not a loopback address, without a token: anyone who reaches it could start and end calls", where).
		WithHint("listen on 127.0.0.1 (the default), or give a bearer token file, owned and readable only by the kiosk's user, that every request must then present").
		WithCond(ErrUnprotectedAddress)
}

// IsLoopback reports whether a listen address's host part is this machine
// only.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if err != nil {
		return false
	}
	return a.WithZone("").Unmap().IsLoopback()
}

// checkListener is CheckListen for a listener Serve was given, which may
// also be a Unix socket (systemd socket activation, a path next to the
// kiosk's files): that one only this machine reaches, as its file's
// permissions allow.
func checkListener(addr net.Addr, haveToken bool) error {
	if n := addr.Network(); n == "unix" || n == "unixpacket" {
		return nil
	}
	return CheckListen(addr.String(), haveToken)
}
