package transcript

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/golden"
	"github.com/webcall-cli/webcall/pkg/event"
)

// A ttyScene is a TTY under test with the width its terminal has now.
type ttyScene struct {
	tty   *TTY
	width int
	// onResize, if set, makes the terminal as wide as width, before the
	// TTY draws at that width.
	onResize func(width int)
}

type ttyStep struct {
	name string
	do   func(s *ttyScene) error
}

type ttyScenario struct {
	name  string
	width int
	limit time.Duration
	steps []ttyStep
}

func render(e event.Event) ttyStep {
	name := string(e.Type)
	switch {
	case e.Type == event.Transcript:
		name = fmt.Sprintf("%s %s %s %q", e.Type, e.SegmentID, finalWord(e), e.Text)
	case e.State != "":
		name += " " + e.State
	case e.Type == event.Chat:
		name = fmt.Sprintf("chat %s %q", e.Speaker, e.Text)
	}
	return ttyStep{name, func(s *ttyScene) error { return s.tty.Render(e) }}
}

func ttyTick(d time.Duration) ttyStep {
	return ttyStep{"tick " + d.String(), func(s *ttyScene) error { return s.tty.Tick(d) }}
}

func resize(width int) ttyStep {
	return ttyStep{fmt.Sprint("terminal now ", width, " columns, then a tick"), func(s *ttyScene) error {
		s.width = width
		if s.onResize != nil {
			s.onResize(width)
		}
		return s.tty.Tick(s.tty.call.elapsed + time.Second)
	}}
}

func typing(text string) ttyStep {
	return ttyStep{fmt.Sprintf("input %q", text), func(s *ttyScene) error { return s.tty.SetInput(text) }}
}

func footer(text string) ttyStep {
	return ttyStep{fmt.Sprintf("footer %q", text), func(s *ttyScene) error { return s.tty.SetFooter(text) }}
}

var closeTTY = ttyStep{"close", func(s *ttyScene) error { return s.tty.Close() }}

func state(ms int64, st string) event.Event {
	return event.Event{Type: event.AgentState, TimeMS: ms, Identity: "bot", State: st}
}

func chat(ms int64, speaker, text string) event.Event {
	return event.Event{Type: event.Chat, TimeMS: ms, Speaker: speaker, Text: text}
}

var (
	connected   = event.Event{Type: event.Connected, TimeMS: 200, Room: "r", Identity: "caller"}
	agentJoined = event.Event{Type: event.AgentJoined, TimeMS: 400, Identity: "bot"}
)

const longReply = "It is sunny and 21 degrees in Paris today, with a light breeze from the west and no rain expected before the weekend, when clouds come in from the Atlantic."

// ttyScenarios are the sequences that are hard to draw right.
var ttyScenarios = []ttyScenario{
	{name: "interleaved user and agent segments", width: 40, steps: []ttyStep{
		render(connected), render(agentJoined), render(state(450, "listening")),
		render(tr(1000, user, "u1", "Can you", false)),
		render(tr(1100, agent, "a1", "Hello!", false)),
		render(tr(1200, user, "u1", "Can you hear me", false)),
		render(tr(1300, agent, "a1", "Hello! How can I help?", false)),
		render(tr(1400, user, "u1", "Can you hear me?", true)),
		render(tr(1500, agent, "a1", "Hello! How can I help?", true)),
	}},
	{name: "an interim replaced by a longer and then a shorter final", width: 40, steps: []ttyStep{
		render(connected), render(agentJoined), render(state(450, "listening")),
		render(tr(1000, user, "u1", "I would like", false)),
		render(tr(1500, user, "u1", "I would like to book a table for two people tonight, please", true)),
		render(tr(1600, user, "u1", "I'd like a table for two", true)),
	}},
	{name: "an interrupted agent segment", width: 40, steps: []ttyStep{
		render(connected), render(agentJoined), render(state(2000, "speaking")),
		render(tr(2100, agent, "a1", longReply, false)),
		render(tr(2500, user, "u2", "wait", false)),
		render(state(2600, "listening")),
		// The agent's final is cut to what was spoken: shorter than the
		// interim's three rows, which all go.
		render(tr(2700, agent, "a1", "It is sunny and 21", true)),
		render(tr(3000, user, "u2", "Wait, and tomorrow?", true)),
	}},
	{name: "a stream that never closes", width: 40, steps: []ttyStep{
		render(connected), render(agentJoined), render(state(2000, "speaking")),
		render(tr(2100, agent, "a1", "And the last words are", false)),
		ttyTick(3 * time.Second),
		// The interim stays as it was last seen; the status row goes.
		closeTTY,
	}},
	{name: "state changes while a caption is open", width: 40, steps: []ttyStep{
		ttyTick(0),
		ttyTick(100 * time.Millisecond),
		ttyTick(150 * time.Millisecond), // the same row: nothing written
		render(connected),
		ttyTick(300 * time.Millisecond),
		render(agentJoined),
		render(state(450, "listening")),
		render(tr(1000, user, "u1", "What time is", false)),
		render(state(1100, "thinking")),
		ttyTick(1200 * time.Millisecond),
		ttyTick(1300 * time.Millisecond),
		render(tr(1350, user, "u1", "What time is it?", true)),
		render(state(1400, "speaking")),
		render(tr(1500, agent, "a1", "It is", false)),
		render(event.Event{Type: event.Connection, TimeMS: 1600, State: event.ConnReconnecting}),
		ttyTick(1700 * time.Millisecond),
		render(event.Event{Type: event.Connection, TimeMS: 1800, State: event.ConnReconnected}),
		render(event.Event{Type: event.Mute, TimeMS: 1900, State: event.MuteOn}),
		render(tr(2000, agent, "a1", "It is noon.", true)),
		render(event.Event{Type: event.Mute, TimeMS: 2100, State: event.MuteOff}),
		render(event.Event{Type: event.AgentLeft, TimeMS: 2200, Identity: "bot"}),
		render(event.Event{Type: event.Disconnected, TimeMS: 2300, Reason: "agent_left"}),
		closeTTY,
	}},
	{name: "very long lines at 30 columns", width: 30, steps: []ttyStep{
		render(connected), render(agentJoined), render(state(450, "speaking")),
		footer("mic ▁▃▅ -23 dB   agent ▅▇▇ -10 dB"),
		render(tr(1000, agent, "a1", longReply, false)),
		render(tr(1000, agent, "a1", longReply, true)),
		render(tr(1100, user, "u1", "Supercalifragilisticexpialidocious-and-then-some is one word", true)),
		render(chat(1200, agent, longReply)),
	}},
	{name: "a width change between draws", width: 40, steps: []ttyStep{
		render(connected), render(agentJoined), render(state(450, "listening")),
		render(tr(900, user, "u1", "What is the weather?", true)),
		footer("mic ▁▃▅ -23 dB   agent ▁▁▁  -∞ dB"),
		render(tr(1000, agent, "a1", "It is sunny and 21 degrees in Paris today", false)),
		// Narrower: the rows drawn at 40 columns are counted at 24.
		resize(24),
		render(tr(1500, agent, "a1", "It is sunny and 21 degrees in Paris today, with a breeze", false)),
		// Wider: each row drawn is one row.
		resize(60),
		render(tr(2000, agent, "a1", "It is sunny and 21 degrees in Paris today, with a breeze.", true)),
	}},
	{name: "chat lines and the typed input row", width: 40, steps: []ttyStep{
		render(connected), render(agentJoined), render(state(450, "listening")),
		typing("hel"),
		typing("hello, can you read this?"),
		typing("hello, can you read this? It is a long line now"),
		typing(""),
		render(chat(1000, user, "hello, can you read this? It is a long line now")),
		render(chat(1500, agent, "Yes,\nI can\x1b[2J read it.")),
		typing("\x1b[31mred\x07"),
	}},
	{name: "warnings, the agent's metrics and stats are not drawn", width: 40, steps: []ttyStep{
		render(event.Event{Type: event.Warning, TimeMS: 10, Kind: event.WarnDevice, Message: "the microphone went quiet"}),
		render(event.Event{Type: event.AgentMetrics, TimeMS: 20, Metrics: &event.AgentTurnMetrics{Source: "lk.agent.events"}}),
		render(event.Event{Type: event.Stats, TimeMS: 30, Stats: &event.CallStats{DurationMS: 30}}),
	}},
	{name: "a call with a limit", width: 60, limit: 5 * time.Minute, steps: []ttyStep{
		ttyTick(1500 * time.Millisecond),
		render(event.Event{Type: event.Connected, TimeMS: 2000}),
		ttyTick(14 * time.Second), // 12 s into the call
		render(agentJoined), render(state(14100, "listening")),
		ttyTick(5*time.Minute + 3*time.Second),
		ttyTick(time.Hour + 2*time.Minute + 3*time.Second),
	}},
}

// runScenario plays sc on a TTY writing to out, calling after(i) once
// step i has been done, and onResize (if not nil) when the terminal is
// resized.
func runScenario(t *testing.T, sc ttyScenario, color bool, out io.Writer, onResize func(int), after func(i int, s *ttyScene)) {
	t.Helper()
	s := &ttyScene{width: sc.width, onResize: onResize}
	s.tty = NewTTY(out, TTYOptions{Width: func() int { return s.width }, Color: color, StatusRow: true, Limit: sc.limit})
	for i, step := range sc.steps {
		if err := step.do(s); err != nil {
			t.Fatalf("%s: step %d (%s): %v", sc.name, i, step.name, err)
		}
		if after != nil {
			after(i, s)
		}
	}
}

// sgrSequence matches the escape sequences that decorate.
var sgrSequence = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestTTYSequencesGolden records the bytes of each step of the tricky
// sequences, shown escaped as in TestTTYGolden, with and without colour.
// Without it (NO_COLOR, --no-color), nothing decorative is written: the
// only escape sequences are those that move the cursor and erase.
func TestTTYSequencesGolden(t *testing.T) {
	for _, color := range []bool{true, false} {
		name := "tty-sequences.golden"
		if !color {
			name = "tty-sequences-nocolor.golden"
		}
		t.Run(name, func(t *testing.T) {
			var out, rendered bytes.Buffer
			for _, sc := range ttyScenarios {
				fmt.Fprintf(&rendered, "═══ %s (%d columns)\n", sc.name, sc.width)
				out.Reset()
				runScenario(t, sc, color, &out, nil, func(i int, s *ttyScene) {
					fmt.Fprintf(&rendered, "── %s\n", sc.steps[i].name)
					rendered.WriteString(escapeTerminal(out.Bytes()))
					if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
						rendered.WriteString("\n")
					}
					if !color && sgrSequence.Match(out.Bytes()) {
						t.Errorf("%s, %s: decoration without colour: %q", sc.name, sc.steps[i].name, out.Bytes())
					}
					out.Reset()
				})
				rendered.WriteString("\n")
			}
			golden.Assert(t, "testdata/"+name, rendered.Bytes())
		})
	}
}

// TestTTYNotDrawn: events the TTY does not show write nothing at all, so
// they cannot disturb the screen.
func TestTTYNotDrawn(t *testing.T) {
	sc := ttyScenarios[len(ttyScenarios)-2]
	var out bytes.Buffer
	runScenario(t, sc, true, &out, nil, nil)
	if out.Len() > 0 {
		t.Errorf("%s: wrote %q", sc.name, out.Bytes())
	}
}

func TestStatusRowText(t *testing.T) {
	tests := []struct {
		name  string
		state callState
		limit time.Duration
		foot  string
		want  string
	}{
		{"connecting", callState{elapsed: 300 * time.Millisecond}, 0, "", "⠸ connecting…  0:00"},
		{"waiting", callState{elapsed: 61 * time.Second, connected: true, connectedAt: time.Second}, 0, "", "⠋ waiting for the agent…  1:00"},
		{"joined, no state yet", callState{connected: true, agentHere: true}, 0, "", "⠋ agent initializing…  0:00"},
		{"listening with a limit", callState{elapsed: 12 * time.Second, connected: true, agentHere: true, agentState: "listening"}, 5 * time.Minute, "", "● listening  0:12 · 4:48 left"},
		{"past the limit", callState{elapsed: 6 * time.Minute, connected: true, agentHere: true, agentState: "listening"}, 5 * time.Minute, "", "● listening  6:00 · 0:00 left"},
		{"thinking spins", callState{elapsed: 1200 * time.Millisecond, connected: true, agentHere: true, agentState: "thinking"}, 0, "", "⠹ thinking  0:01"},
		{"speaking, muted, meter", callState{elapsed: 2 * time.Second, connected: true, agentHere: true, agentState: "speaking", muted: true}, 0, "mic ▁", "▶ speaking  muted  0:02   mic ▁"},
		{"idle", callState{connected: true, agentHere: true, agentState: "idle"}, 0, "", "○ idle  0:00"},
		{"a state of its own, sanitized", callState{connected: true, agentHere: true, agentState: "dreaming\x1b[2J"}, 0, "", "○ dreaming[2J  0:00"},
		{"reconnecting", callState{connected: true, agentHere: true, agentState: "speaking", reconnecting: true}, 0, "", "⠋ reconnecting…  0:00"},
		{"ended", callState{elapsed: 3723 * time.Second, connected: true, ended: true}, 0, "", "■ call ended  1:02:03"},
	}
	for _, tt := range tests {
		if got := plainText(tt.state.spans(tt.limit, tt.foot)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestWrapWords(t *testing.T) {
	tests := []struct {
		text        string
		first, rest int
		want        []string
	}{
		{"", 10, 10, []string{""}},
		{"short", 10, 10, []string{"short"}},
		{"one two three four", 9, 9, []string{"one two", "three", "four"}},
		{"one two three four", 3, 9, []string{"one", "two three", "four"}},
		{"abcdefghij xy", 4, 4, []string{"abcd", "efgh", "ij", "xy"}},
		{"ab abcdefghij", 4, 4, []string{"ab", "abcd", "efgh", "ij"}},
		{"東京は晴れ", 4, 4, []string{"東京", "は晴", "れ"}},
		{"東京", 1, 1, []string{"東", "京"}}, // a wide character alone overflows rather than loops
		{"cafe\u0301 ole\u0301", 4, 4, []string{"cafe\u0301", "ole\u0301"}},
	}
	for _, tt := range tests {
		got := wrapWords(tt.text, tt.first, tt.rest)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrapWords(%q, %d, %d) = %q, want %q", tt.text, tt.first, tt.rest, got, tt.want)
		}
	}
}

func TestLiveLines(t *testing.T) {
	tests := []struct {
		text string
		cols int
		want []string
	}{
		{"one two three", 9, []string{"one two", "three"}},
		{"one two three four five six seven", 9, []string{"…three", "four five", "six seven"}},
		{"a b c d e f g h i j k l m n o p", 3, []string{"…l", "m n", "o p"}},
		{"tiny enormousword", 4, []string{"…ord"}},
	}
	for _, tt := range tests {
		got := liveLines(tt.text, tt.cols, tt.cols)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("liveLines(%q, %d) = %q, want %q", tt.text, tt.cols, got, tt.want)
		}
		if len(got) > maxLiveRows {
			t.Errorf("liveLines(%q, %d) takes %d rows", tt.text, tt.cols, len(got))
		}
	}
}

func TestRowsAt(t *testing.T) {
	tests := []struct {
		s    string
		cols int
		want int
	}{
		{"", 10, 1},
		{"abcdefghij", 10, 1},
		{"abcdefghijk", 10, 2},
		{"abcdefghij", 3, 4},
		{"a東京", 2, 3}, // a wide character that does not fit moves on
	}
	for _, tt := range tests {
		if got := rowsAt(tt.s, tt.cols); got != tt.want {
			t.Errorf("rowsAt(%q, %d) = %d, want %d", tt.s, tt.cols, got, tt.want)
		}
	}
}

// chatCall mixes chat messages with captions and the events that neither
// Plain nor the TTY show.
var chatCall = []event.Event{
	connected,
	chat(100, user, "Hello there,\nagent"),
	{Type: event.Warning, TimeMS: 150, Kind: event.WarnBuffer, Message: "playback ran dry"},
	tr(200, user, "u1", "and now I speak", false),
	tr(300, user, "u1", "and now I speak aloud", true),
	{Type: event.AgentMetrics, TimeMS: 350, Metrics: &event.AgentTurnMetrics{Source: "lk.agent.events"}},
	chat(400, agent, "\x1b[2JI read you, and I hear you too: both arrive, and this line is long."),
	chat(500, agent, " \n "), // nothing to say: no line
	chat(600, "", "from nobody in particular"),
}

// Plain writes chat lines labelled apart from captions, sanitized as
// captions are, and nothing for warnings or the agent's metrics.
func TestPlainChat(t *testing.T) {
	var out bytes.Buffer
	renderAll(t, NewPlain(&out), chatCall)
	want := "you (chat): Hello there, agent\n" +
		"you: and now I speak aloud\n" +
		"agent (chat): [2JI read you, and I hear you too: both arrive, and this line is long.\n" +
		"? (chat): from nobody in particular\n"
	if got := out.String(); got != want {
		t.Errorf("Plain wrote:\n%s\nwant\n%s", got, want)
	}
}

// The TTY shows the same lines as Plain, wrapped (a TTY changes
// decoration, never content).
func TestTTYChatSameAsPlain(t *testing.T) {
	var plain bytes.Buffer
	renderAll(t, NewPlain(&plain), chatCall)
	for _, color := range []bool{true, false} {
		scr := newScreen(40)
		renderAll(t, NewTTY(scr, TTYOptions{Width: func() int { return 40 }, Color: color, StatusRow: true}), chatCall)
		if got := unwrap(scr.text()); got != plain.String() {
			t.Errorf("color=%v: the screen, wrapped lines joined:\n%s\nwant what Plain prints:\n%s", color, got, plain.String())
		}
	}
}

// The limit the call announces on its Connected event (a provider's cap
// may be shorter than --max-duration) is the one the status row counts
// down, whatever the TTY was told.
func TestStatusRowTakesTheCallsLimit(t *testing.T) {
	var out bytes.Buffer
	tty := NewTTY(&out, TTYOptions{StatusRow: true, Limit: 10 * time.Minute})
	if err := tty.Render(event.Event{Type: event.Connected, TimeMS: 1000, Room: "r", Identity: "me", LimitMS: 300_000}); err != nil {
		t.Fatal(err)
	}
	if err := tty.Tick(13 * time.Second); err != nil {
		t.Fatal(err)
	}
	row, _ := tty.statusRow()
	if got := plainText(row); !strings.Contains(got, "0:12 · 4:48 left") {
		t.Errorf("status row %q, want the provider's 5 minutes counted down from connecting", got)
	}
}
