package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/kiosk"
	"github.com/webcall-cli/webcall/pkg/redact"
)

// Defaults of the Options' durations.
const (
	// DefaultCallTimeout bounds how long POST /call and POST /hangup wait
	// for the kiosk: a start waits for the room and the agent (20 s by
	// default), a hangup for the files to be closed.
	DefaultCallTimeout = 60 * time.Second
	// DefaultHealthTimeout is how long /healthz waits for the kiosk's
	// Status before it calls the kiosk wedged. Status answers from a
	// snapshot at once; a second is an eternity for it.
	DefaultHealthTimeout = 2 * time.Second
	// DefaultGrace is how long requests in flight may take to finish
	// once Serve is told to stop.
	DefaultGrace = 5 * time.Second
)

// Limits of what a client may send. The API takes no request body; a
// small one (curl's empty form) is read and ignored, a large one refused.
const (
	maxBodyBytes      = 4 << 10
	maxHeaderBytes    = 16 << 10
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	idleTimeout       = 60 * time.Second
	// metricsInFlight bounds concurrent scrapes: each one walks every
	// metric.
	metricsInFlight = 4
)

// Options configure a Server.
type Options struct {
	// Controller is the kiosk. Required.
	Controller kiosk.Controller
	// Gatherer is what /metrics serves; nil leaves /metrics out (404).
	Gatherer prometheus.Gatherer
	// Token, when not empty, is the bearer token every route but /healthz
	// requires. Only its digest is kept, and New registers it with
	// pkg/redact so that no output of the process shows it. Empty: no
	// authentication, and Serve accepts only loopback listeners.
	Token []byte
	// Log receives the server's warnings and errors (refused requests,
	// failed calls); nil discards them.
	Log *slog.Logger
	// CallTimeout, HealthTimeout and Grace: zero means the Default above.
	CallTimeout   time.Duration
	HealthTimeout time.Duration
	Grace         time.Duration
}

// Server serves the control API for one kiosk. Its handler (ServeHTTP)
// may also be mounted elsewhere; Serve runs it on a listener.
type Server struct {
	c         kiosk.Controller
	metrics   http.Handler
	needToken bool
	token     digest
	log       *slog.Logger

	callTimeout   time.Duration
	healthTimeout time.Duration
	grace         time.Duration

	routes map[string]route
	work   inflight
	// probing: a /healthz probe's goroutine is still waiting for Status.
	probing  atomic.Bool
	served   atomic.Bool
	refusals refusalLog
}

var _ http.Handler = (*Server)(nil)

// New returns a Server for o.
func New(o Options) (*Server, error) {
	if o.Controller == nil {
		return nil, failure.New(failure.Internal, "the control API needs the kiosk it controls").WithCond(ErrNoController)
	}
	s := &Server{
		c:             o.Controller,
		needToken:     len(o.Token) > 0,
		token:         digestOf(o.Token),
		log:           o.Log,
		callTimeout:   orDefault(o.CallTimeout, DefaultCallTimeout),
		healthTimeout: orDefault(o.HealthTimeout, DefaultHealthTimeout),
		grace:         orDefault(o.Grace, DefaultGrace),
		work:          inflight{done: make(chan struct{})},
	}
	if s.needToken {
		redact.Add(string(o.Token))
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if o.Gatherer != nil {
		s.metrics = promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
			ErrorLog:            promLogger{s.log},
			ErrorHandling:       promhttp.ContinueOnError,
			MaxRequestsInFlight: metricsInFlight,
		})
	}
	s.routes = s.routeTable()
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Serve serves on ln until ctx ends, then shuts down: requests in flight
// get the grace to finish, after which their contexts are cancelled and
// their connections cut. It returns nil after a shutdown, or the error
// that stopped the listener. Serve owns ln and closes it. It refuses a
// listener that is not on loopback when the Server has no token
// (CheckListen; a Unix socket is local and its file's permissions guard
// it), and may be called once per Server.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.served.CompareAndSwap(false, true) {
		ln.Close()
		return errors.New("control API: Serve called twice on one server")
	}
	if err := checkListener(ln.Addr(), s.needToken); err != nil {
		ln.Close()
		return err
	}
	// Requests run under a context of their own rather than ctx, so that
	// the end of ctx leaves them the grace to finish; it is cancelled once
	// the grace is over.
	base, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		// A start may take the whole call timeout before its answer is
		// written.
		WriteTimeout:   s.callTimeout + readTimeout,
		IdleTimeout:    idleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return base },
	}
	s.log.Info("control API listening", "address", ln.Addr().String(), "token_required", s.needToken)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	var serveErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	if err := hs.Shutdown(grace); err != nil {
		cancelRequests()
		hs.Close()
	}
	if serveErr == nil {
		serveErr = <-served
	}
	cancelRequests()
	if err := s.work.wait(s.grace); err != nil {
		return err
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("control API on %s: %w", ln.Addr(), serveErr)
}

// inflight counts the handlers and probes that run, so that Serve can
// wait for them after the http.Server let go of their connections. Once
// closing, nothing new enters.
type inflight struct {
	mu      sync.Mutex
	n       int
	closing bool
	done    chan struct{} // closed when closing and n is 0
}

func (f *inflight) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		return false
	}
	f.n++
	return true
}

func (f *inflight) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.closing && f.n == 0 {
		close(f.done)
	}
}

// wait closes the gate and waits up to d for what is in to leave.
func (f *inflight) wait(d time.Duration) error {
	f.mu.Lock()
	if !f.closing {
		f.closing = true
		if f.n == 0 {
			close(f.done)
		}
	}
	f.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-f.done:
		return nil
	case <-t.C:
		f.mu.Lock()
		n := f.n
		f.mu.Unlock()
		return fmt.Errorf("control API: %d request(s) still running %s after shutdown: the kiosk did not return from a call to it", n, d)
	}
}

// promLogger hands promhttp's errors (a metric that failed to gather) to
// the server's log.
type promLogger struct{ log *slog.Logger }

func (p promLogger) Println(v ...any) { p.log.Warn("control API: metrics: " + fmt.Sprint(v...)) }
