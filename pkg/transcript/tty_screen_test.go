package transcript

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/x/vt"
)

// The TTY's bytes fed to a terminal emulator (charmbracelet/x/vt, which
// cuts its rows when made narrower, as xterm does) and to the small
// screen of render_test.go (which can also re-wrap them, as VTE, kitty
// and tmux do), and what a person sees checked row by row.

// vtTerminal is an emulator fed as a terminal is: the line discipline
// turns each \n into \r\n.
type vtTerminal struct{ em *vt.Emulator }

func newVT(width, height int) *vtTerminal { return &vtTerminal{em: vt.NewEmulator(width, height)} }

func (v *vtTerminal) Write(p []byte) (int, error) {
	if _, err := v.em.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// text is the visible screen, one line per row, without trailing blanks
// and blank rows at the bottom.
func (v *vtTerminal) text() string {
	var rows []string
	for _, row := range strings.Split(v.em.String(), "\n") {
		rows = append(rows, strings.TrimRight(row, " "))
	}
	for len(rows) > 0 && rows[len(rows)-1] == "" {
		rows = rows[:len(rows)-1]
	}
	return strings.Join(rows, "\n") + "\n"
}

func scenarioNamed(t *testing.T, name string) ttyScenario {
	t.Helper()
	for _, sc := range ttyScenarios {
		if sc.name == name {
			return sc
		}
	}
	t.Fatalf("no scenario %q", name)
	return ttyScenario{}
}

// checkScreens plays a scenario on the emulator, with and without
// colour, and compares the screen after the steps named in want.
func checkScreens(t *testing.T, scenario string, want map[string]string) {
	sc := scenarioNamed(t, scenario)
	for _, color := range []bool{true, false} {
		term := newVT(sc.width, 24)
		seen := map[string]bool{}
		runScenario(t, sc, color, term, nil, func(i int, s *ttyScene) {
			name := sc.steps[i].name
			w, ok := want[name]
			if !ok {
				return
			}
			seen[name] = true
			if got := term.text(); got != w {
				t.Errorf("color=%v, screen after %s:\n%s\nwant\n%s", color, name, got, w)
			}
		})
		for name := range want {
			if !seen[name] {
				t.Errorf("no step %q in %q", name, scenario)
			}
		}
	}
}

// TestTTYScreenStates: the status row follows the call and stays at the
// bottom under an open caption; at the end only the captions are left.
func TestTTYScreenStates(t *testing.T) {
	checkScreens(t, "state changes while a caption is open", map[string]string{
		"tick 100ms": "⠙ connecting…  0:00\n",
		"connected":  "⠙ waiting for the agent…  0:00\n",
		`agent_state thinking`: "you: What time is\n" +
			"⠸ thinking  0:00\n",
		`transcript u1 final "What time is it?"`: "you: What time is it?\n" +
			"⠸ thinking  0:01\n",
		`connection reconnecting`: "you: What time is it?\n" +
			"agent: It is\n" +
			"⠸ reconnecting…  0:01\n",
		`mute muted`: "you: What time is it?\n" +
			"agent: It is\n" +
			"▶ speaking  muted  0:01\n",
		"close": "you: What time is it?\n" +
			"agent: It is noon.\n",
	})
}

// TestTTYScreenInterrupted: the agent's final, cut to what was spoken,
// replaces its three-row interim and leaves nothing of it.
func TestTTYScreenInterrupted(t *testing.T) {
	checkScreens(t, "an interrupted agent segment", map[string]string{
		`transcript u2 interim "wait"`: "agent: …the west and no rain expected\n" +
			"       before the weekend, when clouds\n" +
			"       come in from the Atlantic.\n" +
			"you: wait\n" +
			"▶ speaking  0:00\n",
		`transcript a1 final "It is sunny and 21"`: "agent: It is sunny and 21\n" +
			"you: wait\n" +
			"● listening  0:00\n",
		`transcript u2 final "Wait, and tomorrow?"`: "agent: It is sunny and 21\n" +
			"you: Wait, and tomorrow?\n" +
			"● listening  0:00\n",
	})
}

// TestTTYScreenOpenAtClose: a caption that never settled stays as last
// seen when the TTY closes; the status row goes.
func TestTTYScreenOpenAtClose(t *testing.T) {
	checkScreens(t, "a stream that never closes", map[string]string{
		"close": "agent: And the last words are\n",
	})
}

func TestTTYScreenChat(t *testing.T) {
	checkScreens(t, "chat lines and the typed input row", map[string]string{
		`input "hello, can you read this?"`: "● listening  0:00\n" +
			"type › hello, can you read this?▏\n",
		`input ""`: "● listening  0:00\n",
		`input "\x1b[31mred\a"`: "you (chat): hello, can you read this?\n" +
			"            It is a long line now\n" +
			"agent (chat): Yes, I can[2J read it.\n" +
			"● listening  0:00\n" +
			"type › [31mred▏\n",
	})
}

const (
	beforeShrink = "you: What is the weather?\n" +
		"agent: It is sunny and 21 degrees in\n" +
		"       Paris today\n" +
		"● listening  0:00   mic ▁▃▅ -23 dB   a…\n"
	// At 24 columns: the live area drawn again, three rows of the newest
	// words and a cut status row.
	liveAt24 = "agent: …and 21 degrees\n" +
		"       in Paris today,\n" +
		"       with a breeze\n" +
		"● listening  0:00   mi…\n"
	at60 = "agent: It is sunny and 21 degrees in Paris today, with a\n" +
		"       breeze.\n" +
		"● listening  0:01   mic ▁▃▅ -23 dB   agent ▁▁▁  -∞ dB\n"
)

// TestTTYScreenResize: a terminal made narrower and then wider between
// draws. On a terminal that re-wraps its rows, the rows erased are
// exactly the live area's; on one that cuts them, the count is long and
// takes the line above the live area off the screen, but no stale row is
// left, which is the choice appendClear documents.
func TestTTYScreenResize(t *testing.T) {
	sc := scenarioNamed(t, "a width change between draws")
	const narrowed = `transcript a1 interim "It is sunny and 21 degrees in Paris today, with a breeze"`
	const widened = `transcript a1 final "It is sunny and 21 degrees in Paris today, with a breeze."`
	type terminal interface {
		Write([]byte) (int, error)
		text() string
	}
	for _, tt := range []struct {
		name string
		want map[string]string
	}{
		{name: "reflows", want: map[string]string{
			`footer "mic ▁▃▅ -23 dB   agent ▁▁▁  -∞ dB"`: "you: What is the weather?\n" +
				"● listening  0:00   mic ▁▃▅ -23 dB   a…\n",
			// The line above re-wraps too, as the terminal's own.
			narrowed: "you: What is the weather\n?\n" + liveAt24,
			widened:  "you: What is the weather?\n" + at60,
		}},
		{name: "cuts (vt)", want: map[string]string{
			narrowed: liveAt24,
			widened:  at60,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, color := range []bool{true, false} {
				var term terminal
				var resize func(int)
				if tt.name == "reflows" {
					scr := newScreen(sc.width)
					term, resize = scr, func(w int) { scr.resize(w, true) }
				} else {
					v := newVT(sc.width, 24)
					term, resize = v, func(w int) { v.em.Resize(w, 24) }
				}
				runScenario(t, sc, color, term, resize, func(i int, s *ttyScene) {
					name := sc.steps[i].name
					if name == `transcript a1 interim "It is sunny and 21 degrees in Paris today"` {
						if got := term.text(); got != beforeShrink {
							t.Errorf("color=%v, screen before the resize:\n%s\nwant\n%s", color, got, beforeShrink)
						}
					}
					if w, ok := tt.want[name]; ok {
						if got := term.text(); got != w {
							t.Errorf("color=%v, screen after %s:\n%s\nwant\n%s", color, name, got, w)
						}
					}
				})
			}
		})
	}
}
