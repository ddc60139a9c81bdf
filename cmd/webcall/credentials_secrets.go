package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
)

// warnPlain warns about a secret given as a flag value: the command
// line of a running process is readable by every local user (ps, /proc).
func warnPlain(warn io.Writer, flag, value, instead string) {
	if value == "" {
		return
	}
	fmt.Fprintf(warn, "warning: %s given on the command line is visible to other local users (ps); set %s instead\n", flag, instead)
}

// readSecretFile reads a secret from a file, trimmed, registers it for
// redaction, and warns when other users can read the file too.
func readSecretFile(flag, path string, warn io.Writer) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", failure.Wrap(failure.Input, withoutPath(err), fmt.Sprintf("cannot read the key file %q given to %s", path, flag))
	}
	key := strings.TrimSpace(string(b))
	redact.Add(key)
	if key == "" {
		return "", failure.Newf(failure.Input, "the key file %q given to %s is empty", path, flag).
			WithHint("put the API key on the file's first line")
	}
	if strings.ContainsAny(key, "\r\n") {
		return "", failure.Newf(failure.Input, "the key file %q given to %s has more than one line", path, flag).
			WithHint("the file must hold just the API key")
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "warning: the key file %s can be read by other users (mode %04o); run chmod 600 %s\n", path, fi.Mode().Perm(), path)
	}
	return key, nil
}

// redacting registers every token its source hands out with redact.Default
// before the caller can print or log it.
type redacting struct{ token.Source }

func (r redacting) Fetch(ctx context.Context) (token.Credentials, error) {
	c, err := r.Source.Fetch(ctx)
	if c.Token != "" {
		redact.Add(c.Token)
	}
	return c, err
}

// Renewal and FetchRejoin pass the wrapped source's own through, so a
// call knows how it renews (token.RenewalOf) and its rejoin tokens are
// redacted as well.
func (r redacting) Renewal() token.Renewal { return token.RenewalOf(r.Source) }

func (r redacting) FetchRejoin(ctx context.Context, prev token.Credentials) (token.Credentials, error) {
	c, err := token.FetchRejoin(ctx, r.Source, prev)
	if c.Token != "" {
		redact.Add(c.Token)
	}
	return c, err
}
