package control

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"
)

// digest is what the server keeps of its token: comparing digests of
// equal length in constant time leaks neither the token's content nor its
// length, which a byte-by-byte compare of the tokens themselves would.
type digest [sha256.Size]byte

func digestOf(token []byte) digest { return sha256.Sum256(token) }

// tokensEqual compares a presented token with the server's digest in time
// that depends on neither.
func tokensEqual(presented []byte, want digest) bool {
	got := digestOf(presented)
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
// The scheme is case-insensitive (RFC 9110, 11.1); ok is false when there
// is no such header.
func bearer(r *http.Request) (token string, ok bool) {
	h := r.Header.Get("Authorization")
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(rest, " ")
	return token, token != ""
}

// authorized reports whether r may use the closed routes, and if not,
// answers it 401. With no token configured everything is open: Serve has
// made sure the listener is on loopback then.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if !s.needToken {
		return true
	}
	presented, ok := bearer(r)
	if ok && tokensEqual([]byte(presented), s.token) {
		return true
	}
	// RFC 6750, 3: a request without credentials gets the bare challenge,
	// one with wrong credentials learns that they were wrong.
	challenge := `Bearer realm="webcall kiosk"`
	msg := "this request needs the control API's bearer token"
	if ok {
		challenge += `, error="invalid_token"`
		msg = "the bearer token is not the control API's"
	}
	if n, log := s.refusals.note(time.Now()); log {
		s.log.Warn("control API: refused a request without the right token",
			"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "token_given", ok, "refused_since_last_line", n)
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, msg,
		"send the header Authorization: Bearer followed by the token from the kiosk's token file")
	return false
}

// refusalLog keeps a stranger who knocks again and again from filling the
// journal: at most one line per refusalLogEvery, each saying how many
// refusals it stands for.
type refusalLog struct {
	mu   sync.Mutex
	last time.Time
	n    int
}

const refusalLogEvery = time.Second

// note counts a refusal and says whether to log it now, and how many
// refusals (this one included) the line stands for.
func (l *refusalLog) note(now time.Time) (n int, log bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if !l.last.IsZero() && now.Sub(l.last) < refusalLogEvery {
		return l.n, false
	}
	n, l.n, l.last = l.n, 0, now
	return n, true
}
