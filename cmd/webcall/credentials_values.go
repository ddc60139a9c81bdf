package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
)

// readFileArg reads a flag value given as TEXT or @FILE. What the text
// must be (JSON, for every such flag so far) is for the token source's
// Check to say. The result is never nil: a flag given, even as blanks or
// an empty file, is not a flag left out.
func readFileArg(flag, value string) ([]byte, error) {
	b := []byte(value)
	if path, ok := strings.CutPrefix(value, "@"); ok {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, failure.Wrap(failure.Input, withoutPath(err), fmt.Sprintf("cannot read the file %q given to %s", path, flag))
		}
	}
	return append([]byte{}, bytes.TrimSpace(b)...), nil
}

// parseKeyValues parses repeated key=value flags. Keys are kept exactly as
// written (HMS passes metadata keys through unchanged, casing included).
func parseKeyValues(flag string, values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(values))
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, failure.Newf(failure.Usage, "%s %q is not key=value", flag, kv).
				WithHint(fmt.Sprintf("write %s user_id=usr_8f3a2b1c; repeat the flag for more keys", flag))
		}
		if _, dup := m[k]; dup {
			return nil, failure.Newf(failure.Usage, "%s gives the key %q twice", flag, k)
		}
		m[k] = v
	}
	return m, nil
}

// parseHeaders parses -H values: 'Name: value', or @FILE with one header
// per line (blank lines and lines starting with # are skipped). Values of
// headers that carry credentials are registered for redaction, and given
// inline they draw a warning.
func parseHeaders(values []string, warn io.Writer) (http.Header, error) {
	h := http.Header{}
	add := func(line, from string, inline bool) error {
		name, value, ok := strings.Cut(line, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !validHeaderName(name) {
			// The line is not echoed: it may be a credential.
			return failure.Newf(failure.Usage, "%s is not a header of the form 'Name: value'", from).
				WithHint("e.g. -H 'Authorization: Bearer <token>', or -H @file with one header per line")
		}
		if sensitiveHeader(name) {
			redact.Add(value)
			if _, cred, ok := strings.Cut(value, " "); ok {
				redact.Add(cred)
			}
			if inline {
				fmt.Fprintf(warn, "warning: the %s header given with -H is visible to other local users (ps); put it in a file and pass -H @file\n", name)
			}
		}
		h.Add(name, value)
		return nil
	}
	for i, v := range values {
		path, isFile := strings.CutPrefix(v, "@")
		if !isFile {
			if err := add(v, fmt.Sprintf("-H value %d", i+1), true); err != nil {
				return nil, err
			}
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, failure.Wrap(failure.Input, withoutPath(err), fmt.Sprintf("cannot read the header file %q", path))
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := add(line, fmt.Sprintf("line %d of the header file %q", n, path), false); err != nil {
				f.Close()
				return nil, err
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, failure.Wrap(failure.Input, err, fmt.Sprintf("cannot read the header file %q", path))
		}
	}
	return h, nil
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// sensitiveHeader guesses whether a header carries a credential.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	for _, w := range []string{"auth", "token", "key", "secret", "session", "password", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// withoutPath drops the *os.PathError wrapper, whose path the message
// already names.
func withoutPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
