package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/webcall-cli/webcall/internal/golden"
)

// TestTTYFooterScreen checks what a person sees: the footer (here a level
// meter) is always the last row, below the interim captions, and final
// captions and status lines scroll above it without leaving a copy of it
// behind; a row too wide for the terminal is cut at its end.
func TestTTYFooterScreen(t *testing.T) {
	for _, color := range []bool{true, false} {
		t.Run(fmt.Sprint("color=", color), func(t *testing.T) {
			scr := newScreen(40)
			tty := NewTTY(scr, ttyOptions(color))
			status := tty.StatusWriter(scr)
			steps := []struct {
				name string
				do   func() error
				want string
			}{
				{"footer alone", func() error { return tty.SetFooter("mic ▁▃▅ -23 dB   agent ▁▁▁  -∞ dB") },
					"mic ▁▃▅ -23 dB   agent ▁▁▁  -∞ dB\n"},
				{"interim above it", func() error { return tty.Render(tr(10, user, "u1", "What is", false)) },
					"you: What is\n" +
						"mic ▁▃▅ -23 dB   agent ▁▁▁  -∞ dB\n"},
				{"footer changes", func() error { return tty.SetFooter("mic ▃▅▇ -12 dB   agent ▁▁▁  -∞ dB") },
					"you: What is\n" +
						"mic ▃▅▇ -12 dB   agent ▁▁▁  -∞ dB\n"},
				{"status line above the live area", func() error {
					_, err := fmt.Fprint(status, "microphone muted\n")
					return err
				},
					"microphone muted\n" +
						"you: What is\n" +
						"mic ▃▅▇ -12 dB   agent ▁▁▁  -∞ dB\n"},
				{"final caption scrolls up", func() error { return tty.Render(tr(20, user, "u1", "What is the time?", true)) },
					"microphone muted\n" +
						"you: What is the time?\n" +
						"mic ▃▅▇ -12 dB   agent ▁▁▁  -∞ dB\n"},
				{"too wide: cut at the end", func() error {
					return tty.SetFooter("mic ▁▁▁ -60 dB   agent ▅▇▇ -10 dB  [muted]")
				},
					"microphone muted\n" +
						"you: What is the time?\n" +
						"mic ▁▁▁ -60 dB   agent ▅▇▇ -10 dB  [mu…\n"},
				{"control characters dropped, spacing kept", func() error { return tty.SetFooter("a\x1b[2J  b\r\n") },
					"microphone muted\n" +
						"you: What is the time?\n" +
						"a[2J  b\n"},
				{"removed", func() error { return tty.SetFooter("") },
					"microphone muted\n" +
						"you: What is the time?\n"},
				{"back, then an agent interim", func() error {
					if err := tty.SetFooter("mic"); err != nil {
						return err
					}
					return tty.Render(tr(30, agent, "a1", "It is noon", false))
				},
					"microphone muted\n" +
						"you: What is the time?\n" +
						"agent: It is noon\n" +
						"mic\n"},
				{"close erases the footer only", tty.Close,
					"microphone muted\n" +
						"you: What is the time?\n" +
						"agent: It is noon\n"},
			}
			for _, s := range steps {
				if err := s.do(); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if got := scr.text(); got != s.want {
					t.Errorf("screen after %q:\n%s\nwant\n%s", s.name, got, s.want)
				}
			}
			if err := tty.SetFooter("late"); !errors.Is(err, ErrClosed) {
				t.Errorf("SetFooter after Close = %v, want ErrClosed", err)
			}
		})
	}
}

// TestTTYFooterGolden records the bytes: the footer is redrawn with the
// live area in one write, and setting the same text again writes nothing.
func TestTTYFooterGolden(t *testing.T) {
	var out, rendered bytes.Buffer
	tty := NewTTY(&out, ttyOptions(false))
	steps := []struct {
		name string
		do   func() error
	}{
		{"footer", func() error { return tty.SetFooter("mic ▁▃▅ -23 dB") }},
		{"same footer", func() error { return tty.SetFooter("mic ▁▃▅ -23 dB") }},
		{"interim", func() error { return tty.Render(tr(10, agent, "a1", "Hello", false)) }},
		{"new footer", func() error { return tty.SetFooter("mic ▃▅▇ -12 dB") }},
		{"final", func() error { return tty.Render(tr(20, agent, "a1", "Hello there.", true)) }},
		{"narrow", func() error { return tty.SetFooter("mic ▁▁▁ -60 dB   agent ▅▇▇ -10 dB  [muted]") }},
		{"close", tty.Close},
	}
	for _, s := range steps {
		out.Reset()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		fmt.Fprintf(&rendered, "── %s:\n", s.name)
		rendered.WriteString(escapeTerminal(out.Bytes()))
		if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
			rendered.WriteString("\n")
		}
	}
	golden.Assert(t, "testdata/tty-footer.golden", rendered.Bytes())
}

func TestFitHead(t *testing.T) {
	tests := []struct {
		in   string
		cols int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10c", 10, "exactly10c"},
		{"one two three", 8, "one two…"},
		{"mic ▁▃▅ -23 dB", 7, "mic ▁▃…"},
		{"東京は晴れ", 6, "東京…"}, // 2 columns a character
		{"東京は晴れ", 5, "東京…"},
		{"e\u0301te\u0301x", 3, "e\u0301t…"}, // the accent stays with its letter
		{"anything", 1, "…"},
		{"anything", 0, ""},
	}
	for _, tt := range tests {
		got := fitHead(tt.in, tt.cols)
		if got != tt.want {
			t.Errorf("fitHead(%q, %d) = %q, want %q", tt.in, tt.cols, got, tt.want)
		}
		if textWidth(got) > tt.cols {
			t.Errorf("fitHead(%q, %d) = %q is %d columns wide", tt.in, tt.cols, got, textWidth(got))
		}
	}
}
