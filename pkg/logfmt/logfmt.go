// Package logfmt makes the kiosk's logger: plain text for a person at a
// terminal, or one JSON object per line for journald and log shippers,
// with every registered secret masked either way.
//
// Masking happens twice, on purpose. A ReplaceAttr hook masks the message
// and every string and error value before the handler formats it, so a
// secret is replaced whole whatever quoting the format adds around it;
// and the handler writes through a redact.Writer, which catches what the
// hook cannot see without changing a value's shape (a secret inside a
// struct or map that the handler marshals, or an attribute's key). A
// credential must never reach the journal, which keeps it for weeks and
// which any member of systemd-journal (or adm) may read.
//
// The package starts no goroutines.
package logfmt

import (
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
)

// The formats NewLogger knows.
const (
	Text = "text" // slog's key=value lines
	JSON = "json" // one JSON object per line: time, level, msg, attributes
)

// Formats lists the formats, for help texts and completion.
var Formats = []string{Text, JSON}

// ErrUnknownFormat is the condition of NewLogger's error for a format it
// does not know (errors.Is).
var ErrUnknownFormat = errors.New("unknown log format")

// NewLogger returns a logger that writes records of level and above to w
// in format ("text" or "json"; "" is text), with the secrets of the
// process-wide redact registry masked, including secrets registered after
// the logger was made. Each record is one Write of one line.
func NewLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: maskAttr}
	out := redact.NewWriter(w)
	switch strings.ToLower(format) {
	case Text, "":
		return slog.New(slog.NewTextHandler(out, opts)), nil
	case JSON:
		return slog.New(slog.NewJSONHandler(out, opts)), nil
	}
	return nil, failure.Newf(failure.Usage, "unknown log format %q", format).
		WithHint(`the formats are "` + strings.Join(Formats, `" and "`) + `"`).
		WithCond(ErrUnknownFormat)
}

// maskAttr masks secrets in an attribute's key and in its value when the
// value is text (the message is the built-in "msg" attribute) or an error,
// which both handlers print as its text anyway. The value is already
// resolved (LogValuer) when the handler calls this.
func maskAttr(_ []string, a slog.Attr) slog.Attr {
	a.Key = redact.String(a.Key)
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(redact.String(a.Value.String()))
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			if text, ok := errorText(err); ok {
				a.Value = slog.StringValue(redact.String(text))
			}
		}
	}
	return a
}

// errorText is err.Error(), or false when that panics (a nil pointer in
// an error interface): the handler then prints the value its own way,
// which recovers from such panics, instead of the hook taking the
// process down.
func errorText(err error) (text string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return err.Error(), true
}
