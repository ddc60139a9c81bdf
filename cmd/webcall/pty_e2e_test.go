//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"

	"github.com/webcall-cli/webcall/internal/testagent"
)

// The live screen as a person sees it: `webcall call` runs on a real
// pseudo-terminal of a set size against the local server and the test
// agent, everything it prints is fed to a terminal emulator, and the
// screen is read as it changes.

// statusRowOnScreen matches the status row: a mark or a spinner frame,
// then the call's state in words. Captions start with a speaker's name
// and status lines with a time, so nothing else on screen matches.
var statusRowOnScreen = regexp.MustCompile(`^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏●▶○■] (connecting|waiting for the agent|agent initializing|listening|thinking|speaking|reconnecting|idle|call ended)`)

const ptyRows = 60

// ptyScreen is what the pseudo-terminal showed.
type ptyScreen struct {
	states []string // the status row's state words, in the order they appeared
	final  string   // the screen when webcall had ended
	raw    []byte   // everything webcall printed
	err    error    // how webcall exited
}

// ptyResize makes the terminal Cols wide the first time the status row
// shows the state At.
type ptyResize struct {
	At   string
	Cols int
}

// runOnPTY runs webcall with args on a pseudo-terminal cols wide,
// feeds its output to an emulator and samples the screen after every
// line drawn, so that no state shown is missed however the output is cut
// into reads. With resize set, the terminal (the pseudo-terminal and the
// emulator together, as a window resized by hand) changes width mid-call.
func runOnPTY(t *testing.T, cols int, resize *ptyResize, env []string, args ...string) ptyScreen {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, webcallBin, args...)
	cmd.Env = append(execCommand(ctx, webcallBin).Env, env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: ptyRows})
	if err != nil {
		t.Fatalf("start webcall on a pseudo-terminal: %v", err)
	}
	defer tty.Close()

	em := vt.NewEmulator(cols, ptyRows)
	var scr ptyScreen
	sample := func() {
		rows := strings.Split(em.String(), "\n")
		for i := len(rows) - 1; i >= 0; i-- {
			if m := statusRowOnScreen.FindStringSubmatch(rows[i]); m != nil {
				if len(scr.states) == 0 || scr.states[len(scr.states)-1] != m[1] {
					scr.states = append(scr.states, m[1])
				}
				if resize != nil && m[1] == resize.At {
					if err := pty.Setsize(tty, &pty.Winsize{Cols: uint16(resize.Cols), Rows: ptyRows}); err != nil {
						t.Errorf("resize the pseudo-terminal: %v", err)
					}
					em.Resize(resize.Cols, ptyRows)
					resize = nil
				}
				return
			}
		}
	}
	buf := make([]byte, 4096)
	for {
		n, rerr := tty.Read(buf)
		chunk := buf[:n]
		scr.raw = append(scr.raw, chunk...)
		for len(chunk) > 0 {
			line := chunk
			if end := bytes.IndexByte(chunk, '\n'); end >= 0 {
				line = chunk[:end+1]
			}
			if _, err := em.Write(line); err != nil {
				t.Fatalf("emulator: %v", err)
			}
			chunk = chunk[len(line):]
			if bytes.HasSuffix(line, []byte("\n")) {
				sample()
			}
		}
		if rerr != nil { // EIO once webcall has ended and closed its side
			break
		}
	}
	scr.err = cmd.Wait()
	scr.final = em.String()
	return scr
}

// sgr matches the escape sequences that colour and dim.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestCallScreenOnAPseudoTerminal(t *testing.T) {
	inParallel(t)
	for _, tt := range []struct {
		name   string
		cols   int
		color  bool
		resize *ptyResize
	}{
		{"colour, 100 columns", 100, true, nil},
		// NO_COLOR: not one colour or dim, from the screen or the status
		// lines; and at 40 columns the captions wrap.
		{"NO_COLOR, 40 columns", 40, false, nil},
		// Made narrower once the agent listens, before anyone speaks:
		// every caption, drawn after, wraps at the new width, and
		// nothing is left garbled. (Bytes webcall wrote for the old
		// width but not yet drawn when a window is resized land at the
		// new one, on any terminal, for any program; the resize comes
		// when only the short status row is live, so that race is not
		// what this test is about.)
		{"resized from 100 to 50 columns", 100, true, &ptyResize{At: "listening", Cols: 50}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := startE2E(t, testagent.Options{})
			env := []string{"LIVEKIT_API_SECRET=" + e.srv.APISecret, "TERM=xterm-256color"}
			if !tt.color {
				env = append(env, "NO_COLOR=1")
			}
			scr := runOnPTY(t, tt.cols, tt.resize, env,
				"call", "--url", e.srv.URL, "--api-key", e.srv.APIKey, "--agent-name", e.name,
				"--input", repoFile("audio", "hello.wav"), "--output", filepath.Join(t.TempDir(), "o.wav"),
				"--max-duration", "60s")
			if scr.err != nil {
				var ee *exec.ExitError
				if !errors.As(scr.err, &ee) {
					t.Fatal(scr.err)
				}
				t.Fatalf("webcall exited with %d; screen:\n%s", ee.ExitCode(), scr.final)
			}
			t.Logf("states shown: %q; the screen at the end:\n%s", scr.states, scr.final)

			// The status row went through the call's states in order
			// (others, such as agent initializing, may come between).
			want := []string{"connecting", "waiting for the agent", "listening", "thinking", "speaking", "listening"}
			if !isSubsequence(want, scr.states) {
				t.Errorf("the status row showed %q; want %q in that order", scr.states, want)
			}
			// The time left under --max-duration was on screen.
			if !regexp.MustCompile(`[0-9]:[0-9]{2} · 0:5[0-9] left`).Match(scr.raw) {
				t.Errorf("no time left on screen:\n%q", scr.raw)
			}
			if colored := sgr.Match(scr.raw); colored != tt.color {
				t.Errorf("colour or dim in the output: %v, want %v:\n%q", colored, tt.color, scr.raw)
			}
			// At the end: both captions, and the status row gone.
			rows := captionRows(scr.final)
			for _, caption := range []string{"you: " + heard, "agent: " + replyText} {
				if !slices.Contains(rows, caption) {
					t.Errorf("the screen at the end lacks the caption %q:\n%s", caption, scr.final)
				}
			}
			for _, row := range strings.Split(scr.final, "\n") {
				if statusRowOnScreen.MatchString(row) {
					t.Errorf("the status row %q is left on the screen:\n%s", row, scr.final)
				}
			}
			if tt.resize == nil {
				return
			}
			// Both captions (62 and 65 columns with their labels)
			// wrapped at the new width: webcall measured the terminal
			// again mid-call.
			if lines := strings.Split(scr.final, "\n"); !slices.Contains(lines, "     tonight.") || !slices.Contains(lines, "       would you like?") {
				t.Errorf("the captions did not wrap at %d columns:\n%s", tt.resize.Cols, scr.final)
			}
			// Nothing of the live area drawn at the old width is left
			// behind: one row for each speaker's caption, no interim
			// copy of it above or below. (Status lines above the live
			// area are the terminal's to wrap or cut, as any output.)
			for _, label := range []string{"you: ", "agent: "} {
				n := 0
				for _, row := range strings.Split(scr.final, "\n") {
					if strings.HasPrefix(row, label) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%d rows start with %q after the resize, want 1:\n%s", n, label, scr.final)
				}
			}
		})
	}
}

// captionRows is the screen's rows with each caption's wrapped rows (indented
// under its text) joined to it.
func captionRows(screen string) []string {
	var rows []string
	indent := ""
	for _, row := range strings.Split(screen, "\n") {
		if indent != "" && strings.HasPrefix(row, indent) && len(row) > len(indent) && row[len(indent)] != ' ' {
			rows[len(rows)-1] += " " + row[len(indent):]
			continue
		}
		indent = ""
		if name, _, ok := strings.Cut(row, ": "); ok && (name == "you" || name == "agent") {
			indent = strings.Repeat(" ", len(name)+2)
		}
		rows = append(rows, row)
	}
	return rows
}

// isSubsequence reports whether want appears in got in order, not
// necessarily next to each other.
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
