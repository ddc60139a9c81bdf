package main

// How a call's output is written: the transcript renderer on stdout (with
// the final error event in JSON) and the SDK's own log on stderr.

import (
	"log/slog"
	"time"

	"github.com/go-logr/logr"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// newRenderer picks the transcript renderer for stdout.
func newRenderer(o *callOptions, start time.Time) (transcript.Renderer, error) {
	switch {
	case o.format == "json":
		return &jsonRenderer{Renderer: transcript.NewJSON(o.io.Out), start: start}, nil
	case o.io.OutTTY:
		return transcript.NewTTY(o.io.Out, transcript.TTYOptions{
			Width: o.io.Width, Color: o.io.Color,
			StatusRow: !o.quiet, Limit: o.maxDuration,
		}), nil
	default:
		return transcript.NewPlain(o.io.Out), nil
	}
}

// jsonRenderer adds the final error event to the JSON stream, so that a
// script reading only stdout still learns how the call failed.
type jsonRenderer struct {
	transcript.Renderer
	start time.Time
}

var _ transcript.ErrorRenderer = (*jsonRenderer)(nil)

func (j *jsonRenderer) Error(err error, code int) {
	_ = j.Render(event.Event{
		Type:    event.Error,
		TimeMS:  time.Since(j.start).Milliseconds(),
		Code:    code,
		Kind:    failure.KindOf(err).String(),
		Message: redact.String(err.Error()),
		Hint:    redact.String(hintFor(err)),
	})
}

// sdkLogger routes the LiveKit SDK's logs to stderr (through redaction) at
// -vv, and silences them otherwise: they are for debugging the wire, not
// for people making calls.
func sdkLogger(s *streams, verbose int) protologger.Logger {
	if verbose < 2 {
		l := protologger.GetDiscardLogger()
		lksdk.SetLogger(l)
		return l
	}
	h := slog.NewTextHandler(s.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug})
	l := protologger.LogRLogger(logr.FromSlogHandler(h))
	lksdk.SetLogger(l)
	return l
}
