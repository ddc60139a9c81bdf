package call_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/token"
)

// commandWords are a command line's words (a flag, an environment
// variable): the package serves any front end, so its errors say what is
// wrong and the front end says which of its settings to change.
var commandWords = regexp.MustCompile(`--[a-z]|\b(LIVEKIT|HMS)_[A-Z_]+\b`)

func assertDomainWords(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{err.Error(), failure.HintOf(err)} {
		if w := commandWords.FindString(s); w != "" {
			t.Errorf("%q names %q, a command's word", s, w)
		}
	}
}

func TestRunWithoutCredentials(t *testing.T) {
	_, err := call.Run(context.Background(), call.Options{})
	if failure.KindOf(err) != failure.Usage || !errors.Is(err, call.ErrNoCredentials) || failure.HintOf(err) == "" {
		t.Fatalf("err = %v (kind %v, hint %q), want a usage error naming call.ErrNoCredentials", err, failure.KindOf(err), failure.HintOf(err))
	}
	assertDomainWords(t, err)
}

// No agent is dispatched into the room, so the call ends when WaitAgent
// runs out, with the condition a front end turns into its own advice.
func TestRunWithoutAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local LiveKit server")
	}
	lksdk.SetLogger(protologger.GetDiscardLogger())
	srv := lkserver.Start(t)
	defer leaktest.Check(t)()
	clip, err := audio.LoadFile(testdata("hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = call.Run(context.Background(), call.Options{
		Credentials: token.Minted{URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret},
		File:        clip,
		Timing:      call.Timing{WaitAgent: time.Second},
	})
	if failure.KindOf(err) != failure.NoAgent || !errors.Is(err, call.ErrNoAgent) || failure.HintOf(err) == "" {
		t.Fatalf("err = %v (kind %v, hint %q), want a no-agent error naming call.ErrNoAgent", err, failure.KindOf(err), failure.HintOf(err))
	}
	assertDomainWords(t, err)
}
