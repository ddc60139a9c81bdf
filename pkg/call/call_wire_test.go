package call_test

import (
	"context"
	"path/filepath"
	"testing"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/token"
)

func testdata(name string) string { return filepath.Join("..", "..", "testdata", "audio", name) }

// Repeated calls in one process (a kiosk's life) leave no goroutine
// behind: every goroutine the call, the room and the SDK start ends with
// the call. Join/leave cycles have leaked in LiveKit clients before.
func TestRepeatedCallsLeakNoGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local LiveKit server")
	}
	lksdk.SetLogger(protologger.GetDiscardLogger())
	srv := lkserver.Start(t)
	agent, err := testagent.Start(context.Background(), testagent.Options{
		URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret, AgentName: "kiosk-agent",
		ReplyWAV: testdata("reply.wav"), ReplyText: "Sure.",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	clip, err := audio.LoadFile(testdata("hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	src := token.Minted{URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret, AgentName: "kiosk-agent"}

	oneCall := func() {
		t.Helper()
		var finals int
		res, err := call.Run(context.Background(), call.Options{
			Credentials: src,
			File:        clip,
			Events: func(e event.Event) {
				if e.Type == event.Transcript && *e.Final {
					finals++
				}
			},
		})
		if err != nil {
			t.Fatalf("call: %v", err)
		}
		if res.Reason != call.ReasonReplyOver || finals != 2 {
			t.Fatalf("call ended with %q and %d final captions", res.Reason, finals)
		}
	}

	// The first call warms up what lives for the process (the SDK's
	// shared state, DNS caches, pools): check from after it.
	oneCall()
	check := leaktest.Check(t)
	const calls = 3
	for i := 0; i < calls; i++ {
		oneCall()
	}
	check()
}
