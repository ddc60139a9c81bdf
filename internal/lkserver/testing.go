package lkserver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
			// A server the test killed on purpose is meant to be gone.
			if !s.Killed() {
				t.Errorf("the local LiveKit server exited during the test")
			}
		default:
		}
		if err := s.Stop(); err != nil {
			t.Errorf("stop the local LiveKit server: %v", err)
		}
		if t.Failed() {
			// The log stays for the reader.
			t.Log(failureReport(s.LogPath()))
			return
		}
		if err := s.Close(); err != nil {
			t.Errorf("remove the local LiveKit server's log: %v", err)
		}
	})
	return s
}

// reportLines and reportWidth bound what a failing test prints of the
// server's log. The log is long and mostly routine; printed whole it
// buries the test's own failure message, and CI shows only the end of the
// output.
const (
	reportLines = 8
	reportWidth = 240
)

// failureReport returns the last warnings and errors of the server's log
// at path, shortened, with the file's name.
func failureReport(path string) string {
	log, err := os.ReadFile(path)
	var b strings.Builder
	var notable []string
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, "\tWARN\t") || strings.Contains(line, "\tERROR\t") {
			notable = append(notable, line)
		}
	}
	if len(notable) > reportLines {
		notable = notable[len(notable)-reportLines:]
	}
	b.WriteString("livekit-server's last warnings:")
	if len(notable) == 0 {
		b.WriteString(" none")
	}
	for _, line := range notable {
		if len(line) > reportWidth {
			line = line[:reportWidth] + "…"
		}
		b.WriteString("\n  " + line)
	}
	if err != nil {
		b.WriteString("\n(could not read its log: " + err.Error() + ")")
	} else {
		b.WriteString("\nits whole log (" + byteSize(len(log)) + "): " + filepath.ToSlash(path))
	}
	return b.String()
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}
