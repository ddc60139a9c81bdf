package token

import (
	"errors"
	"regexp"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// commandWords are the words of a command line rather than of this
// package: a long or short flag, or an environment variable. The package
// serves any front end, so its errors name what is wrong (a server URL, an
// API key) and leave it to the front end to say where its user gives it.
var commandWords = regexp.MustCompile(`(^|[\s(/'"])(--[a-z][a-z0-9-]*|-[A-Za-z])\b|\b(LIVEKIT|HMS)_[A-Z_]+\b`)

// assertDomainWords fails if err's message or any hint in its chain uses
// command-line words.
func assertDomainWords(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	texts := []string{err.Error()}
	for e := err; e != nil; {
		var fe *failure.Error
		if !errors.As(e, &fe) {
			break
		}
		texts = append(texts, fe.Hint)
		e = fe.Err
	}
	for _, s := range texts {
		if w := commandWords.FindString(s); w != "" {
			t.Errorf("%q names %q, a command's word", s, w)
		}
	}
}

func TestCommandWordsMatch(t *testing.T) {
	for _, s := range []string{"pass --url", "use -H 'A: b'", "set LIVEKIT_URL", "(--api-key)", "HMS_API_KEY or a file"} {
		if !commandWords.MatchString(s) {
			t.Errorf("%q is not recognized as command-line words", s)
		}
	}
	for _, s := range []string{"webcall-user-1", "stt_config", "got -1s", "X-Api-Key", "2026-11-22", "the server's URL"} {
		if commandWords.MatchString(s) {
			t.Errorf("%q is taken for command-line words", s)
		}
	}
}
