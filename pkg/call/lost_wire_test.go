package call_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/token"
)

// A real room whose server dies: the SDK starts its recovery, the call
// gives up on it after RecoverTimeout, leaves the room and returns a
// Connect error, and nothing is left running: leaving the room stops the
// SDK's retries. Not at once: its recovery goroutine sleeps between
// attempts without watching for the room's Disconnect and ends when it
// wakes. With the server killed 2 s before the room is left, that is its
// sleep from 1.5 s to 4.2 s after the kill, well within the check's
// settling time; left later, the sleeps are longer (up to 24 s), which is
// why the e2e tests of a killed server leave the SDK's goroutines out of
// their checks.
func TestLostRoomLeavesNothingRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local LiveKit server")
	}
	lksdk.SetLogger(protologger.GetDiscardLogger())
	srv := lkserver.Start(t)
	check := leaktest.Check(t)
	const recover = 2 * time.Second
	var killed, reconnecting time.Time
	res, err := call.Run(context.Background(), call.Options{
		Credentials: token.Minted{URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret},
		Input:       audio.PacedWithClock(audio.Silence(0), audio.SystemClock),
		Timing:      call.Timing{WaitAgent: time.Minute, RecoverTimeout: recover},
		// Once the microphone is published and the call waits for the
		// agent.
		Status: func(msg string) {
			if strings.HasPrefix(msg, "waiting for the agent") && killed.IsZero() {
				killed = time.Now()
				if err := srv.Kill(); err != nil {
					t.Error(err)
				}
			}
		},
		Events: func(e event.Event) {
			if e.Type == event.Connection && e.State == event.ConnReconnecting {
				reconnecting = time.Now()
			}
		},
	})
	took := time.Since(killed)
	t.Logf("the SDK noticed the kill after %s; the call returned %s after it", reconnecting.Sub(killed).Round(time.Millisecond), took.Round(time.Millisecond))
	if !errors.Is(err, call.ErrConnectionLost) || failure.KindOf(err) != failure.Connect {
		t.Fatalf("Run: %v, want a Connect error for the lost connection", err)
	}
	if reconnecting.IsZero() {
		t.Error("no reconnecting event: the SDK did not notice the kill")
	}
	// Honest margin for a loaded machine: the bound is what matters, and
	// without it the call would wait for the SDK's minute.
	if took > recover+5*time.Second {
		t.Errorf("the call returned %s after the kill, with a recover timeout of %s", took, recover)
	}
	if len(res.Gaps) != 1 {
		t.Errorf("gaps %+v, want one", res.Gaps)
	}
	check()
}
