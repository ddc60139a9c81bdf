package lkserver

import (
	"context"
	"testing"
)

// Option changes the Config of a server started by Start.
type Option func(*Config)

// WithLogLevel sets the server's log level (debug shows signalling).
func WithLogLevel(level string) Option {
	return func(c *Config) { c.LogLevel = level }
}

// Start starts a server for the test and stops it when the test ends. It
// fails the test (never skips it) when the server cannot start, and prints
// the server's log if the test fails.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	s, err := StartProcess(context.Background(), cfg)
	if err != nil {
		// A missing binary fails too: a skipped wire test looks like a
		// passing one in CI.
		t.Fatalf("start the local LiveKit server: %v", err)
	}
	t.Cleanup(func() {
		select {
		case <-s.Exited():
			t.Errorf("the local LiveKit server exited during the test")
		default:
		}
		if err := s.Stop(); err != nil {
			t.Errorf("stop the local LiveKit server: %v", err)
		}
		if t.Failed() {
			t.Logf("livekit-server log (last %d bytes):\n%s", logTailBytes, s.LogTail())
		}
	})
	return s
}
