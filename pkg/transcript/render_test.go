package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/golden"
	"github.com/webcall-cli/webcall/pkg/event"
)

func tr(ms int64, speaker, segID, text string, final bool) event.Event {
	identity := "caller"
	if speaker == event.SpeakerAgent {
		identity = "bot"
	}
	return event.Event{Type: event.Transcript, TimeMS: ms, Identity: identity, Speaker: speaker,
		SegmentID: segID, Text: text, Final: event.Bool(final)}
}

const (
	user  = event.SpeakerUser
	agent = event.SpeakerAgent
)

// callEvents is a scripted call with every event type: interims replaced in
// place, the user's and the agent's interims at the same time, a caption
// longer than the terminal, text with a line break, an escape sequence and
// wide characters, and a correction.
var callEvents = []event.Event{
	{Type: event.Connected, TimeMS: 71, Room: "call-1", Identity: "caller", CallID: "c-42", URL: "wss://agents.example.test"},
	{Type: event.AgentJoined, TimeMS: 380, Identity: "bot", Name: "Ava"},
	{Type: event.AgentState, TimeMS: 381, Identity: "bot", State: "listening"},
	tr(1200, user, "u1", "What is", false),
	tr(1500, user, "u1", "What is the weather", false),
	tr(1900, user, "u1", "What is the weather in Paris?", false),
	tr(1950, user, "u1", "What is the weather in Paris?", true),
	{Type: event.AgentState, TimeMS: 2000, Identity: "bot", State: "thinking"},
	{Type: event.AgentState, TimeMS: 2600, Identity: "bot", State: "speaking"},
	tr(2740, agent, "a1", "It is", false),
	tr(2990, agent, "a1", " It is sunny and", false),
	tr(3240, agent, "a1", " It is sunny and 21 degrees in Paris today, with a light breeze from the west.", false),
	tr(3300, user, "u2", "Thanks", false),
	tr(3490, agent, "a1", " It is sunny and 21 degrees in Paris today,\nwith a light breeze from the west.", true),
	tr(3600, user, "u2", "Thanks! \x1b[2J東京は晴れていますか、それとも雨ですか?", false),
	tr(3800, user, "u2", "Thanks! And Tokyo?", true),
	tr(3900, user, "u2", "Thanks. And Tokyo?", true),
	{Type: event.InputDone, TimeMS: 4000},
	{Type: event.Connection, TimeMS: 4100, State: event.ConnReconnecting},
	{Type: event.Connection, TimeMS: 4600, State: event.ConnReconnected},
	{Type: event.Error, TimeMS: 9000, Code: 5, Kind: "no_agent", Message: "the agent left and did not come back",
		Hint: "check the agent's logs"},
	{Type: event.Stats, TimeMS: 9001, Stats: &event.CallStats{DurationMS: 9001, SentMS: 8960, ReceivedMS: 2100,
		FirstAgentAudio: 2610, PlaybackUnderrun: 1}},
	{Type: event.Disconnected, TimeMS: 9002, Reason: "agent_left"},
}

// ttyOptions draws on a 40-column terminal.
func ttyOptions(color bool) TTYOptions {
	return TTYOptions{Width: func() int { return 40 }, Color: color}
}

func renderAll(t *testing.T, r Renderer, events []event.Event) {
	t.Helper()
	for i, e := range events {
		if err := r.Render(e); err != nil {
			t.Fatalf("Render(event %d, %s): %v", i, e.Type, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestPlainGolden(t *testing.T) {
	var out bytes.Buffer
	renderAll(t, NewPlain(&out), callEvents)
	golden.Assert(t, "testdata/plain.golden", out.Bytes())
}

func TestJSONGolden(t *testing.T) {
	var out bytes.Buffer
	renderAll(t, NewJSON(&out), callEvents)
	golden.Assert(t, "testdata/json.golden", out.Bytes())

	// Every line is one event and reads back as the event it was.
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(callEvents) {
		t.Fatalf("%d lines for %d events", len(lines), len(callEvents))
	}
	for i, line := range lines {
		var e event.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if e.V != event.SchemaVersion {
			t.Errorf("line %d has schema version %d, want %d", i+1, e.V, event.SchemaVersion)
		}
		e.V = 0
		if !reflect.DeepEqual(e, callEvents[i]) {
			t.Errorf("line %d reads back as %+v, want %+v", i+1, e, callEvents[i])
		}
	}
}

// TestTTYGolden records the raw bytes, escape codes and all, of each
// event's rendering, shown escaped: \e is ESC, and a line break in the
// output is shown as \n and a real one.
func TestTTYGolden(t *testing.T) {
	for _, color := range []bool{true, false} {
		name := "tty.golden"
		if !color {
			name = "tty-nocolor.golden"
		}
		t.Run(name, func(t *testing.T) {
			var out, rendered bytes.Buffer
			tty := NewTTY(&out, ttyOptions(color))
			for i, e := range callEvents {
				out.Reset()
				if err := tty.Render(e); err != nil {
					t.Fatalf("Render(event %d): %v", i, err)
				}
				fmt.Fprintln(&rendered, strings.Join(slices.DeleteFunc(
					[]string{fmt.Sprintf("── event %d:", i), string(e.Type), e.SegmentID, finalWord(e)},
					func(s string) bool { return s == "" }), " "))
				rendered.WriteString(escapeTerminal(out.Bytes()))
				if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
					rendered.WriteString("\n")
				}
			}
			golden.Assert(t, "testdata/"+name, rendered.Bytes())
		})
	}
}

func finalWord(e event.Event) string {
	if e.Final == nil {
		return ""
	}
	if *e.Final {
		return "final"
	}
	return "interim"
}

func escapeTerminal(b []byte) string {
	var s strings.Builder
	for _, r := range string(b) {
		switch {
		case r == '\x1b':
			s.WriteString(`\e`)
		case r == '\r':
			s.WriteString(`\r`)
		case r == '\n':
			s.WriteString("\\n\n")
		case r == '\\':
			s.WriteString(`\\`)
		case r < 0x20:
			fmt.Fprintf(&s, `\x%02x`, r)
		default:
			s.WriteRune(r)
		}
	}
	return s.String()
}

// TestTTYScreen checks what a person sees, with and without color: the
// live rows while captions are interim, and at the end exactly what Plain
// prints (a TTY changes decoration, never content).
func TestTTYScreen(t *testing.T) {
	var plain bytes.Buffer
	renderAll(t, NewPlain(&plain), callEvents)

	for _, color := range []bool{true, false} {
		t.Run(fmt.Sprint("color=", color), func(t *testing.T) {
			scr := newScreen(40)
			tty := NewTTY(scr, ttyOptions(color))
			checkpoints := map[int]string{
				4: "you: What is the weather\n",
				// The agent's interim wraps under its text; the user's
				// interim has a row of its own.
				12: "you: What is the weather in Paris?\n" +
					"agent: It is sunny and 21 degrees in\n" +
					"       Paris today, with a light breeze\n" +
					"       from the west.\n" +
					"you: Thanks\n",
				// The escape sequence is shown as text, never obeyed.
				14: "you: What is the weather in Paris?\n" +
					"agent: It is sunny and 21 degrees in\n" +
					"       Paris today, with a light breeze\n" +
					"       from the west.\n" +
					"you: Thanks!\n" +
					"     [2J東京は晴れていますか、それとも\n" +
					"     雨ですか?\n",
			}
			for i, e := range callEvents {
				if err := tty.Render(e); err != nil {
					t.Fatalf("Render(event %d): %v", i, err)
				}
				want, ok := checkpoints[i]
				if !ok {
					continue
				}
				if got := scr.text(); got != want {
					t.Errorf("screen after event %d:\n%s\nwant\n%s", i, got, want)
				}
			}
			if err := tty.Close(); err != nil {
				t.Fatal(err)
			}
			if got, want := unwrap(scr.text()), plain.String(); got != want {
				t.Errorf("final screen, wrapped lines joined:\n%s\nwant what Plain prints:\n%s", got, want)
			}
		})
	}
}

// unwrap joins the lines of a screen that a TTY wrapped with a hanging
// indent (they start with a space) to the line before.
func unwrap(text string) string {
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if i > 0 {
			if strings.HasPrefix(line, " ") {
				b.WriteByte(' ')
				line = strings.TrimLeft(line, " ")
			} else {
				b.WriteByte('\n')
			}
		}
		b.WriteString(line)
	}
	return b.String() + "\n"
}

func TestTTYStatusWriter(t *testing.T) {
	scr := newScreen(40)
	tty := NewTTY(scr, ttyOptions(true))
	status := tty.StatusWriter(scr)
	for _, e := range []event.Event{
		tr(0, user, "u1", "hello", true),
		tr(10, agent, "a1", "Hi there", false),
		tr(20, user, "u2", "um", false),
	} {
		if err := tty.Render(e); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprint(status, "reconnecting")
	fmt.Fprint(status, "…\nresumed\n")
	fmt.Fprint(status, "held until its newline")
	if err := tty.Render(tr(30, agent, "a1", "Hi there, how", false)); err != nil {
		t.Fatal(err)
	}
	want := "you: hello\n" +
		"reconnecting…\n" +
		"resumed\n" +
		"agent: Hi there, how\n" +
		"you: um\n"
	if got := scr.text(); got != want {
		t.Errorf("screen:\n%s\nwant\n%s", got, want)
	}
	if err := tty.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := scr.text(), want+"held until its newline\n"; got != want {
		t.Errorf("after Close the held status text is written:\n%s\nwant\n%s", got, want)
	}
}

func TestTTYNarrowTerminal(t *testing.T) {
	for _, width := range []int{1, 3, 8, 12} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			scr := newScreen(width)
			tty := NewTTY(scr, TTYOptions{Width: func() int { return width }, Color: true, StatusRow: true, Limit: time.Minute})
			if err := tty.SetInput("typing something long"); err != nil {
				t.Fatal(err)
			}
			if err := tty.SetFooter("mic ▁▃▅ -23 dB   agent ▁▁▁  -∞ dB"); err != nil {
				t.Fatal(err)
			}
			for _, e := range []event.Event{
				{Type: event.Connected, TimeMS: 10},
				tr(0, agent, "a1", "a fairly long interim caption", false),
				tr(1, user, "u1", "and another", false),
				tr(2, agent, "a1", "a fairly long interim caption, longer", false),
				tr(3, agent, "a1", "done", true),
				tr(4, user, "u1", "and another one", true),
			} {
				if err := tty.Render(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := tty.Close(); err != nil {
				t.Fatal(err)
			}
			// Nothing of the live area is left: the screen is what the
			// finals alone draw.
			alone := newScreen(width)
			finals := NewTTY(alone, TTYOptions{Width: func() int { return width }})
			for _, e := range []event.Event{tr(3, agent, "a1", "done", true), tr(4, user, "u1", "and another one", true)} {
				if err := finals.Render(e); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := scr.text(), alone.text(); got != want {
				t.Errorf("screen:\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello", "hello"},
		{" leading and trailing \n", "leading and trailing"},
		{"two\nlines\r\nand\ttabs", "two lines and tabs"},
		{"many   spaces", "many spaces"},
		{"\x1b[2J\x1b]0;pwned\x07clear", "[2J]0;pwnedclear"},
		{"C1\u009bcontrol", "C1control"},
		{"bidi \u202Eevil\u202C text", "bidi evil text"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"東京", "東京"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := oneLine(tt.in); got != tt.want {
			t.Errorf("oneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFitTail(t *testing.T) {
	tests := []struct {
		in   string
		cols int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10c", 10, "exactly10c"},
		{"one two three", 8, "…o three"},
		{"東京は晴れ", 6, "…晴れ"}, // 2 columns a character: the ellipsis and two of them
		{"東京は晴れ", 5, "…晴れ"},
		{"cafe\u0301 ole\u0301", 5, "… ole\u0301"}, // the combining accent has no width
		{"abe\u0301", 2, "…e\u0301"},
		{"xye\u0301", 1, "…"}, // the accent of a character left out goes with it
		{"anything", 1, "…"},
		{"anything", 0, ""},
	}
	for _, tt := range tests {
		got := fitTail(tt.in, tt.cols)
		if got != tt.want {
			t.Errorf("fitTail(%q, %d) = %q, want %q", tt.in, tt.cols, got, tt.want)
		}
		if textWidth(got) > tt.cols {
			t.Errorf("fitTail(%q, %d) = %q is %d columns wide", tt.in, tt.cols, got, textWidth(got))
		}
	}
}

func TestRenderersAfterClose(t *testing.T) {
	var out bytes.Buffer
	for _, r := range []Renderer{NewPlain(&out), NewJSON(&out), NewTTY(&out, TTYOptions{})} {
		t.Run(fmt.Sprintf("%T", r), func(t *testing.T) {
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if err := r.Render(tr(0, user, "u1", "late", true)); !errors.Is(err, ErrClosed) {
				t.Errorf("Render after Close = %v, want ErrClosed", err)
			}
		})
	}
}

type brokenWriter struct{}

var errBroken = errors.New("broken pipe")

func (brokenWriter) Write([]byte) (int, error) { return 0, errBroken }

func TestRenderersReportWriteErrors(t *testing.T) {
	for _, r := range []Renderer{NewPlain(brokenWriter{}), NewJSON(brokenWriter{}), NewTTY(brokenWriter{}, TTYOptions{})} {
		t.Run(fmt.Sprintf("%T", r), func(t *testing.T) {
			if err := r.Render(tr(0, user, "u1", "hello", true)); !errors.Is(err, errBroken) {
				t.Errorf("Render to a broken writer = %v, want the write error", err)
			}
		})
	}
}

func BenchmarkRenderJSON(b *testing.B) {
	j := NewJSON(discard{})
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range callEvents {
			if err := j.Render(e); err != nil {
				b.Fatal(err)
			}
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
