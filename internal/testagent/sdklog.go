package testagent

// The SDK's log, one level down and with the room token masked.

import (
	"context"
	"log/slog"
	"strings"

	"github.com/go-logr/logr"
	protologger "github.com/livekit/protocol/logger"
)

// sdkLogger routes the SDK's log (and pion's, which it carries) into the
// agent's, one level down, since the SDK reports routine steps of every
// connection at info, and with the room token masked, since the SDK logs
// it when it connects.
//
// The SDK also has a package-wide logger (pion's connection logs go there,
// to the standard log at info by default); SDKLogger gives a program one
// to install with lksdk.SetLogger.
func SDKLogger(l *slog.Logger) protologger.Logger { return sdkLogger(l, "") }

func sdkLogger(l *slog.Logger, token string) protologger.Logger {
	return protologger.LogRLogger(logr.FromSlogHandler(sdkHandler{l.Handler(), token}))
}

type sdkHandler struct {
	slog.Handler
	secret string
}

func quieter(l slog.Level) slog.Level {
	if l < slog.LevelWarn {
		return l - 4
	}
	return l
}

func (h sdkHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, quieter(l))
}

func (h sdkHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, quieter(r.Level), h.mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.maskAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h sdkHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = h.maskAttr(a)
	}
	return sdkHandler{h.Handler.WithAttrs(masked), h.secret}
}

func (h sdkHandler) WithGroup(name string) slog.Handler {
	return sdkHandler{h.Handler.WithGroup(name), h.secret}
}

func (h sdkHandler) mask(s string) string {
	if h.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, h.secret, "[REDACTED]")
}

func (h sdkHandler) maskAttr(a slog.Attr) slog.Attr {
	if s := a.Value.Resolve().String(); h.secret != "" && strings.Contains(s, h.secret) {
		return slog.String(a.Key, h.mask(s))
	}
	return a
}
