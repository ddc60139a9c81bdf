package testagent_test

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

func TestMain(m *testing.M) {
	// The test clients' SDK log (every ICE step, at info) would bury
	// the agent's in -v output.
	lksdk.SetLogger(logger.LogRLogger(logr.Discard()))
	os.Exit(m.Run())
}

// testLogger sends the agent's log to the test's log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
