package room

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// commandWords are a command line's words (a flag, an environment
// variable): the package serves any front end, so its errors say what is
// wrong and the front end says which of its settings to change.
var commandWords = regexp.MustCompile(`--[a-z]|\b(LIVEKIT|HMS)_[A-Z_]+\b`)

func TestJoinErrorsSpeakDomainWords(t *testing.T) {
	tests := []struct {
		name string
		err  error
		kind failure.Kind
		cond error // nil: the error names no condition
	}{
		{"deadline", context.DeadlineExceeded, failure.Connect, ErrConnectTimeout},
		{"sdk timeout", lksdk.ErrConnectionTimeout, failure.Connect, ErrConnectTimeout},
		{"refused token", errors.New("unauthorized: invalid token"), failure.Auth, nil},
		{"unreachable", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), failure.Connect, nil},
	}
	for _, tt := range tests {
		err := joinError("ws://127.0.0.1:1", 2*time.Second, tt.err)
		if k := failure.KindOf(err); k != tt.kind {
			t.Errorf("%s: kind %v, want %v", tt.name, k, tt.kind)
		}
		if tt.cond != nil && !errors.Is(err, tt.cond) {
			t.Errorf("%s: %v does not name the condition %q", tt.name, err, tt.cond)
		}
		hint := failure.HintOf(err)
		if hint == "" {
			t.Errorf("%s: no hint", tt.name)
		}
		for _, s := range []string{err.Error(), hint} {
			if w := commandWords.FindString(s); w != "" {
				t.Errorf("%s: %q names %q, a command's word", tt.name, s, w)
			}
		}
	}
}

// A refused connection to a port with 401 in it is a connection problem,
// not a refused token: only the SDK's "unauthorized:" names that.
func TestPortWith401IsNoAuthFailure(t *testing.T) {
	err := joinError("ws://127.0.0.1:40123", time.Second, errors.New("dial tcp 127.0.0.1:40123: connect: connection refused"))
	if k := failure.KindOf(err); k != failure.Connect {
		t.Errorf("kind %v, want Connect: %v", k, err)
	}
	err = joinError("ws://127.0.0.1:7880", time.Second, errors.New("unauthorized: invalid token: token is expired"))
	if k := failure.KindOf(err); k != failure.Auth {
		t.Errorf("kind %v, want Auth: %v", k, err)
	}
}
