// Package lkserver runs a real LiveKit server (the pinned livekit-server
// binary) on free loopback ports, for tests and for the demo.
//
// Start is the test helper: it fails the test when the server cannot run,
// shows the server's log when the test fails, and stops the server in
// t.Cleanup. StartProcess is the same thing for programs (the demo's
// cmd/lkserver). Both write the configuration with Config.YAML, the one
// place that knows how to keep the server on 127.0.0.1.
//
// Goroutines: each Server's process is an internal/proc Process, which
// owns one goroutine that waits for it to exit (Stop makes sure it does).
package lkserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/webcall-cli/webcall/internal/proc"
)

// BinaryEnv names the environment variable that overrides where the
// livekit-server binary is.
const BinaryEnv = "WEBCALL_LIVEKIT_SERVER"

// ReadyTimeout is how long a new server may take to answer HTTP.
const ReadyTimeout = 20 * time.Second

// portAttempts is how often StartProcess picks new ports when another
// process took one of them between picking and binding.
const portAttempts = 3

// stopGrace is how long Stop waits after each polite signal. The server's
// first SIGTERM waits for participants to leave (checking every 5 s), the
// second one stops it at once.
const stopGrace = time.Second

// settleTime covers a window at start-up: the server answers HTTP about
// 100 ms before it counts as running, and a SIGTERM in that window is
// swallowed (it only listens for two). Waiting this long after the first
// answer keeps Stop's signals from being lost.
const settleTime = 150 * time.Millisecond

// logTailBytes bounds what LogTail returns of the server's output.
const logTailBytes = 64 << 10

// ErrNoBinary means the livekit-server binary is not where it should be.
var ErrNoBinary = errors.New("livekit-server binary not found")

// Server is a running livekit-server process.
type Server struct {
	// URL is the WebSocket URL clients and agents connect to.
	URL string
	// HTTPURL is the same server for HTTP (Twirp API, health check).
	HTTPURL   string
	APIKey    string
	APISecret string
	Config    Config

	// mu guards p and killed: Kill and Restart replace the process while
	// a test's other goroutines may ask whether it is running.
	mu sync.Mutex
	p  *proc.Process
	// killed: the server was killed on purpose (Kill) and not restarted.
	killed bool
	// retired are the processes Restart replaced; Close removes their
	// logs, Stop keeps them.
	retired []*proc.Process
}

// binaryNames are where the Makefile puts the server under the module
// root, newest name first.
var binaryNames = []string{".tools/bin/livekit-server", ".tools/bin/server"}

// FindBinary returns the livekit-server executable: $WEBCALL_LIVEKIT_SERVER
// when set, else .tools/bin/livekit-server (or .tools/bin/server) in the
// module root found by walking up from the working directory to go.mod.
func FindBinary() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w at %s (set by %s): %v", ErrNoBinary, p, BinaryEnv, err)
		}
		return p, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	for _, name := range binaryNames {
		p := filepath.Join(root, filepath.FromSlash(name))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w at %s: run `make livekit-server` to build it (or set %s)",
		ErrNoBinary, filepath.Join(root, filepath.FromSlash(binaryNames[0])), BinaryEnv)
}

// ModuleRoot returns the nearest directory at or above the working
// directory that holds a go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

// StartProcess starts a server and returns once it answers HTTP. ctx bounds
// the start only; the server runs until Stop. Ports left zero in cfg are
// picked free, and picked again if another process takes one first.
func StartProcess(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.Binary == "" {
		bin, err := FindBinary()
		if err != nil {
			return nil, err
		}
		cfg.Binary = bin
	}
	pickPorts := cfg.Port == 0 || cfg.TCPPort == 0 || cfg.UDPPort == 0
	var lastErr error
	for attempt := 0; attempt < portAttempts; attempt++ {
		c := cfg
		if pickPorts {
			if err := c.pickFreePorts(); err != nil {
				return nil, err
			}
		}
		s, err := start(ctx, c)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !pickPorts || !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, lastErr
}

var errPortTaken = errors.New("port already in use")

// pickFreePorts fills zero ports with ports the kernel just handed out on
// 127.0.0.1. All listeners are held until every port is chosen, so the
// HTTP and RTC TCP ports differ.
func (c *Config) pickFreePorts() error {
	var closers []io.Closer
	defer func() {
		for _, cl := range closers {
			cl.Close()
		}
	}()
	tcp := func() (int, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("pick a free TCP port: %w", err)
		}
		closers = append(closers, l)
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	var err error
	if c.Port == 0 {
		if c.Port, err = tcp(); err != nil {
			return err
		}
	}
	if c.TCPPort == 0 {
		if c.TCPPort, err = tcp(); err != nil {
			return err
		}
	}
	if c.UDPPort == 0 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("pick a free UDP port: %w", err)
		}
		closers = append(closers, pc)
		c.UDPPort = pc.LocalAddr().(*net.UDPAddr).Port
	}
	return nil
}

func start(ctx context.Context, cfg Config) (*Server, error) {
	s := &Server{
		URL:       "ws://127.0.0.1:" + strconv.Itoa(cfg.Port),
		HTTPURL:   "http://127.0.0.1:" + strconv.Itoa(cfg.Port),
		APIKey:    cfg.APIKey,
		APISecret: cfg.APISecret,
		Config:    cfg,
	}
	p, err := proc.StartProcess(ctx, proc.Spec{
		Name: "livekit-server",
		Path: cfg.Binary,
		// The configuration goes in the server's environment: no file
		// to leave behind when a test binary is killed, and no keys on
		// the command line for ps to show.
		Env: append(serverEnv(os.Environ()), "LIVEKIT_CONFIG="+cfg.YAML()),
		// The first SIGTERM waits for participants to leave, the
		// second one stops the server at once.
		Signals:      []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM},
		Grace:        stopGrace,
		Ready:        s.answers,
		ReadyTimeout: ReadyTimeout,
	})
	if err != nil {
		var se *proc.StartError
		if errors.As(err, &se) && se.Exited && strings.Contains(se.Tail, "address already in use") {
			// Said in full here; the log holds nothing more.
			os.Remove(se.LogPath)
			return nil, fmt.Errorf("livekit-server on port %d: %w:\n%s", cfg.Port, errPortTaken, se.Tail)
		}
		return nil, fmt.Errorf("start %s: %w", cfg.Binary, err)
	}
	s.p = p
	select {
	case <-time.After(settleTime):
		return s, nil
	case <-p.Exited():
		return nil, fmt.Errorf("livekit-server exited right after starting (%v); its last output:\n%s\n(its whole log: %s)",
			p.Err(), p.Tail(logTailBytes), p.LogPath())
	}
}

// serverEnv drops the variables livekit-server reads as configuration, so
// a developer's own LIVEKIT_KEYS or NODE_IP cannot change the test server.
// (start then adds LIVEKIT_CONFIG.)
func serverEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "LIVEKIT_"),
			name == "NODE_IP", name == "UDP_PORT",
			name == "REDIS_HOST", name == "REDIS_PASSWORD":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// probe asks the server's HTTP port for its health check, on connections
// of its own that are not kept alive: nothing of the probe outlives the
// start.
var probe = &http.Client{
	Timeout:   time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// answers is the server's readiness: its health check answers 200.
func (s *Server) answers(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.HTTPURL+"/", nil)
	if err != nil {
		return err
	}
	resp, err := probe.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answers %s", s.HTTPURL, resp.Status)
	}
	return nil
}

// process is the server's current process.
func (s *Server) process() *proc.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p
}

// LogTail returns the last part of the server's output.
func (s *Server) LogTail() string { return s.process().Tail(logTailBytes) }

// LogPath is the file that holds the server's whole output (since the
// last Restart). Stop keeps it; Close removes it.
func (s *Server) LogPath() string { return s.process().LogPath() }

// Exited is closed when the server process has ended.
func (s *Server) Exited() <-chan struct{} { return s.process().Exited() }

// Killed says the server was ended by Kill and not restarted since.
func (s *Server) Killed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.killed
}

// Kill ends the server at once with SIGKILL, as a crash would: no client
// is told, every connection just stops answering. It returns once the
// process is gone. Restart brings a server back on the same ports.
func (s *Server) Kill() error {
	p := s.process()
	s.mu.Lock()
	s.killed = true
	s.mu.Unlock()
	return p.Kill()
}

// Restart starts the server again on the same ports with the same keys,
// as an operator restarting a crashed server would (ending it first if it
// still runs), and returns once it answers. Rooms, participants and
// workers of the old process are gone: clients must join again.
func (s *Server) Restart(ctx context.Context) error {
	old := s.process()
	if err := old.Stop(); err != nil {
		return err
	}
	n, err := start(ctx, s.Config)
	if err != nil {
		return fmt.Errorf("restart livekit-server on port %d: %w", s.Config.Port, err)
	}
	s.mu.Lock()
	s.p, s.killed = n.p, false
	s.retired = append(s.retired, old)
	s.mu.Unlock()
	return nil
}

// Stop ends the server: SIGTERM, a second SIGTERM (which skips waiting for
// participants to leave), then SIGKILL. It returns once the process is gone
// and is safe to call more than once.
func (s *Server) Stop() error { return s.process().Stop() }

// Close stops the server and removes its logs.
func (s *Server) Close() error {
	s.mu.Lock()
	retired := s.retired
	s.mu.Unlock()
	for _, p := range retired {
		if err := p.Close(); err != nil {
			return err
		}
	}
	return s.process().Close()
}
