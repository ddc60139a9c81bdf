package control

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// MinTokenLen is the shortest token accepted. Shorter ones can be guessed
// by whoever reaches the port, and the redaction of webcall's output only
// masks secrets of at least 8 characters; 16 random characters are out of
// reach of guessing over HTTP.
const MinTokenLen = 16

// maxTokenFile bounds what is read: a token is one short line, and a
// wrong path (a log, a disk image) must not be read whole into memory.
const maxTokenFile = 4096

// ReadTokenFile reads the control API's bearer token from a file. The
// token is the file's content without surrounding whitespace (editors end
// files with a newline); it must be one line of at least MinTokenLen
// printable ASCII characters, so that a client can send it in a header.
//
// Like ssh with a private key, it refuses a file that its group or others
// may read or write: the token is the key to the kiosk's microphone, and
// a file others can read is a token they have. Errors name the file and
// never its content.
func ReadTokenFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, tokenFileError(path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, tokenFileError(path, err)
	}
	if info.IsDir() {
		return nil, failure.Newf(failure.Input, "control API token file %q is a directory", path).
			WithHint("give the file that holds the token").
			WithCond(ErrTokenFile)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, failure.Newf(failure.Input, "control API token file %q has permissions %04o: its group or others may read or change it", path, perm).
			WithHint(fmt.Sprintf("make it the kiosk user's alone: chmod 600 %s", path)).
			WithCond(ErrTokenFileOpen)
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, tokenFileError(path, err)
	}
	if len(raw) > maxTokenFile {
		return nil, failure.Newf(failure.Input, "control API token file %q is larger than %d bytes", path, maxTokenFile).
			WithHint("the file holds the token alone, on one line; check the path").
			WithCond(ErrTokenMalformed)
	}
	token := bytes.TrimSpace(raw)
	switch {
	case len(token) == 0:
		return nil, failure.Newf(failure.Input, "control API token file %q is empty", path).
			WithHint(tokenAdvice).
			WithCond(ErrTokenEmpty)
	case !printable(token):
		return nil, failure.Newf(failure.Input, "control API token file %q holds more than one line, or characters other than printable ASCII", path).
			WithHint("a header carries the token: put it alone on one line, in letters, digits and punctuation").
			WithCond(ErrTokenMalformed)
	case len(token) < MinTokenLen:
		return nil, failure.Newf(failure.Input, "the token in %q has %d characters, fewer than %d", path, len(token), MinTokenLen).
			WithHint(tokenAdvice).
			WithCond(ErrTokenShort)
	}
	return token, nil
}

const tokenAdvice = "write a random token of at least 16 characters into the file (32 random hex digits, say), readable by the kiosk's user only"

func tokenFileError(path string, err error) error {
	hint := "check the path of the token file"
	if errors.Is(err, fs.ErrPermission) {
		hint = "the kiosk's user must be able to read the token file"
	}
	// The path error already names the file; keep only its reason.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return failure.Wrap(failure.Input, err, fmt.Sprintf("read control API token file %q", path)).
		WithHint(hint).
		WithCond(ErrTokenFile)
}

// printable reports whether b is printable ASCII without spaces inside,
// the characters a bearer token (RFC 6750's b64token) is made of and more.
func printable(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
