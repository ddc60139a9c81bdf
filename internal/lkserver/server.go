// Package lkserver runs a real LiveKit server (the pinned livekit-server
// binary) on free loopback ports, for tests and for the demo.
//
// Start is the test helper: it fails the test when the server cannot run,
// shows the server's log when the test fails, and stops the server in
// t.Cleanup. StartProcess is the same thing for programs (the demo's
// cmd/lkserver). Both write the configuration with Config.YAML, the one
// place that knows how to keep the server on 127.0.0.1.
//
// Goroutines: each Server owns one goroutine that waits for the process to
// exit (it ends when the process does; Stop makes sure it does), and the
// os/exec copiers of the process's output, which end with the process.
package lkserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
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

// logTailBytes bounds the server output kept in memory for error messages.
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

	cmd     *exec.Cmd
	log     *tailBuffer
	exited  chan struct{}
	waitErr error // set before exited is closed

	stopOnce sync.Once
	stopErr  error
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
		log:       &tailBuffer{max: logTailBytes},
		exited:    make(chan struct{}),
	}
	// The configuration goes in the server's environment: no file to
	// leave behind when a test binary is killed, and no keys on the
	// command line for ps to show.
	s.cmd = exec.Command(cfg.Binary)
	s.cmd.Env = append(serverEnv(os.Environ()), "LIVEKIT_CONFIG="+cfg.YAML())
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start livekit-server %s: %w", cfg.Binary, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
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

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.HTTPURL+"/", nil)
		if err != nil {
			return fmt.Errorf("probe livekit-server: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				select {
				case <-time.After(settleTime):
					return nil
				case <-s.exited:
					return fmt.Errorf("livekit-server exited right after starting (%v); its log:\n%s", s.waitErr, s.LogTail())
				}
			}
		}
		select {
		case <-s.exited:
			tail := s.LogTail()
			if strings.Contains(tail, "address already in use") {
				return fmt.Errorf("livekit-server on port %d: %w:\n%s", s.Config.Port, errPortTaken, tail)
			}
			return fmt.Errorf("livekit-server exited before answering (%v); its log:\n%s", s.waitErr, tail)
		case <-ctx.Done():
			return fmt.Errorf("livekit-server did not answer on %s within %s; its log:\n%s", s.HTTPURL, ReadyTimeout, s.LogTail())
		case <-tick.C:
		}
	}
}

// LogTail returns the last part of the server's output.
func (s *Server) LogTail() string { return s.log.String() }

// Exited is closed when the server process has ended.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Stop ends the server: SIGTERM, a second SIGTERM (which skips waiting for
// participants to leave), then SIGKILL. It returns once the process is gone
// and is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGTERM, os.Kill} {
			if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
				s.stopErr = fmt.Errorf("stop livekit-server: %w", err)
			}
			select {
			case <-s.exited:
				return
			case <-time.After(stopGrace):
			}
		}
		<-s.exited
	})
	return s.stopErr
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
