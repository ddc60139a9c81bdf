package lkserver

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
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
			t.Errorf("the local LiveKit server exited during the test")
		default:
		}
		if err := s.Stop(); err != nil {
			t.Errorf("stop the local LiveKit server: %v", err)
		}
		if t.Failed() {
			t.Log(failureReport(t.Name(), s.LogTail()))
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

// failureReport saves the server's log to a file and returns its last
// warnings and errors, shortened, with the file's name.
func failureReport(test, log string) string {
	var b strings.Builder
	var notable []string
	for _, line := range strings.Split(log, "\n") {
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
	name := unsafeChars.ReplaceAllString(test, "_")
	f, err := os.CreateTemp("", "livekit-"+name+"-*.log")
	if err == nil {
		_, err = f.WriteString(log)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		b.WriteString("\n(could not save the full log: " + err.Error() + ")")
	} else {
		b.WriteString("\nits full log (last " + byteSize(len(log)) + "): " + filepath.ToSlash(f.Name()))
	}
	return b.String()
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func byteSize(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}
