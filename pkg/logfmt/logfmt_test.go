package logfmt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
)

// secret returns a fresh secret registered with the process-wide
// registry, with characters that each format quotes or escapes.
func secret(t *testing.T) string {
	s := fmt.Sprintf("sk_%s_%d\"quoted\\slash", strings.ReplaceAll(t.Name(), "/", "_"), time.Now().UnixNano())
	redact.Add(s)
	return s
}

type tokenHolder struct{ Token string }

type nilErr struct{ msg string }

func (e *nilErr) Error() string { return e.msg }

// logEverywhere puts the secret in every place a log line can carry it.
func logEverywhere(l *slog.Logger, s string) {
	l.Info("joined with token "+s, "token", s, "err", fmt.Errorf("refused %s: %w", s, errors.New("401")))
	l.With("header", "Bearer "+s).Warn("endpoint", slog.Group("request", "auth", s))
	l.Info("holder", "value", tokenHolder{Token: s}, "map", map[string]string{"k": s}, s, "as a key")
	var e *nilErr
	l.Error("typed nil error", "err", error(e))
}

func TestSecretsAreMasked(t *testing.T) {
	defer leaktest.Check(t)()
	for _, format := range []string{JSON, Text} {
		t.Run(format, func(t *testing.T) {
			s := secret(t)
			var out bytes.Buffer
			l, err := NewLogger(&out, format, slog.LevelInfo)
			if err != nil {
				t.Fatal(err)
			}
			logEverywhere(l, s)
			text := out.String()
			for _, leak := range []string{s, `sk_` + strings.ReplaceAll(t.Name(), "/", "_")} {
				if strings.Contains(text, leak) {
					t.Errorf("%q reached the log:\n%s", leak, text)
				}
			}
			if n := strings.Count(text, redact.Mask); n < 8 {
				t.Errorf("%d masks, want one per place (8):\n%s", n, text)
			}
			if lines := strings.Count(text, "\n"); lines != 4 {
				t.Errorf("%d lines, want 4:\n%s", lines, text)
			}
			if !strings.Contains(text, "typed nil error") {
				t.Errorf("the record with a nil error was lost:\n%s", text)
			}
		})
	}
}

// JSON lines are valid JSON with the masked values in their fields, so a
// shipper that parses them sees the mask, not a broken line.
func TestJSONLines(t *testing.T) {
	defer leaktest.Check(t)()
	s := secret(t)
	var out bytes.Buffer
	l, err := NewLogger(&out, "JSON", slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	l.Debug("call started", "call_id", "c-1", "attempt", 2)
	l.Info("token "+s, "token", s, "err", errors.New("bad "+s))
	sc := bufio.NewScanner(&out)
	var recs []map[string]any
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		recs = append(recs, rec)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	if r := recs[0]; r["msg"] != "call started" || r["level"] != "DEBUG" || r["call_id"] != "c-1" || r["attempt"] != 2.0 || r["time"] == nil {
		t.Errorf("record %v", r)
	}
	if r := recs[1]; r["msg"] != "token "+redact.Mask || r["token"] != redact.Mask || r["err"] != "bad "+redact.Mask {
		t.Errorf("record %v", r)
	}
}

// A secret learnt after the logger was made (a token fetched for the
// next call) is masked too.
func TestLateSecret(t *testing.T) {
	defer leaktest.Check(t)()
	var out bytes.Buffer
	l, err := NewLogger(&out, Text, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	s := secret(t)
	l.Info("got " + s)
	if strings.Contains(out.String(), s) || !strings.Contains(out.String(), redact.Mask) {
		t.Errorf("log %q", out.String())
	}
}

func TestLevel(t *testing.T) {
	defer leaktest.Check(t)()
	var out bytes.Buffer
	l, err := NewLogger(&out, JSON, slog.LevelWarn)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("routine")
	l.Warn("device lost")
	if strings.Contains(out.String(), "routine") || !strings.Contains(out.String(), "device lost") {
		t.Errorf("log %q", out.String())
	}
}

// The zero value is text, so a caller that sets no format logs for people.
func TestDefaultIsText(t *testing.T) {
	defer leaktest.Check(t)()
	var out bytes.Buffer
	l, err := NewLogger(&out, "", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("idle", "calls", 3)
	if got := out.String(); !strings.Contains(got, "level=INFO msg=idle calls=3") {
		t.Errorf("log %q, want a text line", got)
	}
}

func TestUnknownFormat(t *testing.T) {
	defer leaktest.Check(t)()
	var out bytes.Buffer
	l, err := NewLogger(&out, "xml", slog.LevelInfo)
	if l != nil || err == nil {
		t.Fatal("xml was taken")
	}
	if !errors.Is(err, ErrUnknownFormat) || failure.KindOf(err) != failure.Usage {
		t.Errorf("error %v: want ErrUnknownFormat, a usage error", err)
	}
	if !strings.Contains(err.Error(), `"xml"`) || !strings.Contains(failure.HintOf(err), `"text" and "json"`) {
		t.Errorf("error %q, hint %q: should name the format and the choices", err, failure.HintOf(err))
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q", out.String())
	}
}

// Each layer is needed: a secret with a control character is quoted by
// the text handler as \x01, a spelling the writer does not know, so only
// the hook masks it in a message or a string; a secret inside a struct is
// marshalled by the handler, out of the hook's sight, so only the writer
// masks it (TestSecretsAreMasked's "holder" line).
func TestHookMasksWhatTheWriterCannotSpell(t *testing.T) {
	defer leaktest.Check(t)()
	s := secret(t) + "\x01ctl"
	redact.Add(s)
	var out bytes.Buffer
	l, err := NewLogger(&out, Text, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("token "+s, "token", s)
	if text := out.String(); strings.Contains(text, `ctl`) || strings.Count(text, redact.Mask) != 2 {
		t.Errorf("log %q", text)
	}
}
