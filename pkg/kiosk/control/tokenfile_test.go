package control

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
)

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	good := []struct {
		name, content string
	}{
		{"alone", testToken},
		{"with a newline", testToken + "\n"},
		{"with CRLF", testToken + "\r\n"},
		{"among blanks", "  \n" + testToken + " \n\n"},
	}
	for _, tc := range good {
		p := write(strings.ReplaceAll(tc.name, " ", "-"), tc.content, 0o600)
		got, err := ReadTokenFile(p)
		if err != nil || string(got) != testToken {
			t.Errorf("%s: ReadTokenFile = %q, %v; want the token", tc.name, got, err)
		}
	}
	if got, err := ReadTokenFile(write("owner-read-only", testToken, 0o400)); err != nil || string(got) != testToken {
		t.Errorf("mode 0400: %q, %v", got, err)
	}

	secret := "s3cret-" + strings.Repeat("x", 20)
	bad := []struct {
		name, content string
		mode          os.FileMode
		cond          error
		in            string
	}{
		{"empty", "", 0o600, ErrTokenEmpty, "is empty"},
		{"blank", " \n\t\n", 0o600, ErrTokenEmpty, "is empty"},
		{"short", "abc123", 0o600, ErrTokenShort, "6 characters, fewer than 16"},
		{"two lines", secret + "\n" + secret, 0o600, ErrTokenMalformed, "more than one line"},
		{"a space inside", secret + " " + secret, 0o600, ErrTokenMalformed, "more than one line"},
		{"not ascii", secret + "é", 0o600, ErrTokenMalformed, "printable ASCII"},
		{"large", strings.Repeat(secret, 300), 0o600, ErrTokenMalformed, "larger than 4096 bytes"},
		{"group-readable", secret, 0o640, ErrTokenFileOpen, "permissions 0640"},
		{"world-readable", secret, 0o644, ErrTokenFileOpen, "permissions 0644"},
		{"group-writable", secret, 0o620, ErrTokenFileOpen, "permissions 0620"},
	}
	for _, tc := range bad {
		p := write(strings.ReplaceAll(tc.name, " ", "-"), tc.content, tc.mode)
		got, err := ReadTokenFile(p)
		checkTokenFileError(t, tc.name, p, got, err, tc.cond, tc.in, secret)
	}

	missing := filepath.Join(dir, "missing")
	got, err := ReadTokenFile(missing)
	checkTokenFileError(t, "missing", missing, got, err, ErrTokenFile, "no such file", secret)
	got, err = ReadTokenFile(dir)
	checkTokenFileError(t, "a directory", dir, got, err, ErrTokenFile, "is a directory", secret)
	if os.Geteuid() != 0 { // root reads anything
		p := write("unreadable", secret, 0o000)
		got, err = ReadTokenFile(p)
		checkTokenFileError(t, "unreadable", p, got, err, ErrTokenFile, "permission denied", secret)
	}
}

func checkTokenFileError(t *testing.T, name, path string, got []byte, err, cond error, in, secret string) {
	t.Helper()
	if err == nil || got != nil {
		t.Errorf("%s: ReadTokenFile = %q, %v; want an error", name, got, err)
		return
	}
	if !errors.Is(err, cond) {
		t.Errorf("%s: %v, want the condition %v", name, err, cond)
	}
	msg := err.Error()
	if !strings.Contains(msg, in) || !strings.Contains(msg, path) {
		t.Errorf("%s: %q does not say %q and name %s", name, msg, in, path)
	}
	hint := failure.HintOf(err)
	if hint == "" {
		t.Errorf("%s: no hint", name)
	}
	for _, part := range []string{secret, "abc123", "s3cret"} {
		if strings.Contains(msg, part) || strings.Contains(hint, part) {
			t.Errorf("%s: the error shows the file's content: %q (hint %q)", name, msg, hint)
		}
	}
	if k := failure.KindOf(err); k != failure.Input {
		t.Errorf("%s: kind %v, want input", name, k)
	}
	assertDomainWords(t, err)
}
