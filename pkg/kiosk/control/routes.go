package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/kiosk"
	"github.com/webcall-cli/webcall/pkg/redact"
)

// route is one path of the API: the method it takes (a GET route takes
// HEAD too), and whether it is open without the token.
type route struct {
	method string
	open   bool
	h      http.HandlerFunc
}

func (rt route) allows(method string) bool {
	return method == rt.method || (rt.method == http.MethodGet && method == http.MethodHead)
}

func (rt route) allow() string {
	if rt.method == http.MethodGet {
		return "GET, HEAD"
	}
	return rt.method
}

func (s *Server) routeTable() map[string]route {
	t := map[string]route{
		"/call":    {method: http.MethodPost, h: s.startCall},
		"/hangup":  {method: http.MethodPost, h: s.hangup},
		"/healthz": {method: http.MethodGet, open: true, h: s.healthz},
		"/readyz":  {method: http.MethodGet, h: s.readyz},
		"/status":  {method: http.MethodGet, h: s.status},
	}
	if s.metrics != nil {
		t["/metrics"] = route{method: http.MethodGet, h: s.metrics.ServeHTTP}
	}
	return t
}

// paths lists the routes for a 404's hint.
func (s *Server) paths() string {
	var p []string
	for _, name := range []string{"/call", "/hangup", "/healthz", "/readyz", "/status", "/metrics"} {
		if rt, ok := s.routes[name]; ok {
			p = append(p, rt.method+" "+name)
		}
	}
	return strings.Join(p, ", ")
}

// ServeHTTP authenticates, routes and answers one request. The token is
// checked before the path is looked at, so a stranger learns nothing of
// the API, not even which paths exist.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.work.enter() {
		writeError(w, http.StatusServiceUnavailable, kiosk.ErrStopping.Error(), "")
		return
	}
	defer s.work.leave()
	rt, known := s.routes[r.URL.Path]
	if !(known && rt.open) && !s.authorized(w, r) {
		return
	}
	if !known {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such path: %s", r.URL.Path), "the kiosk answers "+s.paths())
		return
	}
	if !rt.allows(r.Method) {
		w.Header().Set("Allow", rt.allow())
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s takes %s, not %s", r.URL.Path, rt.allow(), r.Method), "")
		return
	}
	if !s.discardBody(w, r) {
		return
	}
	rt.h(w, r)
}

// discardBody reads and drops a small body, so that the connection can
// serve the next request, and refuses a large one.
func (s *Server) discardBody(w http.ResponseWriter, r *http.Request) bool {
	tooLarge := func() bool {
		writeError(w, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("request body larger than %d bytes", maxBodyBytes), "the control API takes no request body")
		return false
	}
	if r.ContentLength > maxBodyBytes {
		return tooLarge()
	}
	_, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return tooLarge()
	case err != nil:
		writeError(w, http.StatusBadRequest, "the request body could not be read", "")
		return false
	}
	return true
}

func (s *Server) startCall(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.callTimeout)
	defer cancel()
	cs, err := s.c.StartCall(ctx, kiosk.TriggerAPI)
	if err != nil {
		s.fail(w, r, "start a call", err)
		return
	}
	writeJSON(w, http.StatusAccepted, cs)
}

func (s *Server) hangup(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.callTimeout)
	defer cancel()
	cs, err := s.c.Hangup(ctx)
	if err != nil {
		s.fail(w, r, "hang up", err)
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

// fail answers a control operation's error: the kiosk's own conditions
// are answers (busy, nothing to hang up, not ready), the rest failures.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, kiosk.ErrBusy):
		writeError(w, http.StatusConflict, err.Error(), "end it with POST /hangup, or wait until it is over")
	case errors.Is(err, kiosk.ErrNoCall):
		writeError(w, http.StatusConflict, err.Error(), "start one with POST /call")
	case errors.Is(err, kiosk.ErrStopping):
		writeError(w, http.StatusServiceUnavailable, err.Error(), "try again once the kiosk has restarted")
	case errors.Is(err, kiosk.ErrNotReady):
		writeError(w, http.StatusServiceUnavailable, err.Error(), "GET /status says what is missing; the kiosk takes calls again once it is back")
	case r.Context().Err() != nil:
		// The client left, or the server is shutting down: nobody reads
		// this answer, if anyone does it says why.
		writeError(w, http.StatusServiceUnavailable, "the request was cancelled before the kiosk answered", "GET /status says what the kiosk is doing")
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, fmt.Sprintf("the kiosk did not %s within %s", what, s.callTimeout),
			"it may still do so: GET /status says what it is doing")
	default:
		s.log.Error("control API: "+what+" failed", "error", redact.String(err.Error()))
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("%s: %v", what, err), "GET /status and the kiosk's log say more")
	}
}

// healthz answers whether the kiosk is alive: its Status answers within
// the health timeout. Status must not block; when it does (a wedged loop),
// the probe's goroutine waits for it and later probes answer 503 at once
// rather than pile up more goroutines behind it.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	unhealthy := func() {
		writeError(w, http.StatusServiceUnavailable,
			fmt.Sprintf("the kiosk's state did not answer within %s", s.healthTimeout), "the kiosk's loop is stuck; restart the kiosk")
	}
	if !s.probing.CompareAndSwap(false, true) {
		unhealthy()
		return
	}
	if !s.work.enter() {
		s.probing.Store(false)
		writeError(w, http.StatusServiceUnavailable, kiosk.ErrStopping.Error(), "")
		return
	}
	answered := make(chan struct{})
	go func() {
		defer s.work.leave()
		defer s.probing.Store(false)
		s.c.Status()
		close(answered)
	}()
	t := time.NewTimer(s.healthTimeout)
	defer t.Stop()
	select {
	case <-answered:
		writeText(w, http.StatusOK, "ok")
	case <-t.C:
		unhealthy()
	case <-r.Context().Done():
	}
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.c.Ready(); err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error(), "GET /status shows the devices, the last error and the next retry")
		return
	}
	writeText(w, http.StatusOK, "ok")
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.c.Status())
}
