//go:build linux && !noportaudio

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
)

// The mute key and the level meter as a person uses them: webcall runs on
// a pseudo-terminal (script(1)) with PulseAudio's virtual microphone and
// speaker, the test types on that terminal, and Ctrl-C is typed too, so
// that the terminal itself makes the SIGINT. After webcall, the same
// shell prints the terminal's mode, which must be back as it was.

// ptyCall is webcall running under script(1), followed as it prints.
type ptyCall struct {
	keys   io.WriteCloser
	events chan event.Event // the JSON events among the lines printed
	done   chan struct{}    // closed when script has ended

	mu      sync.Mutex
	out     strings.Builder // everything the terminal showed
	changed chan struct{}   // a token when out grew
	code    int             // script's exit code, once done
}

// startPTYCall starts `webcall call` against e's agent on s's devices, on
// a pseudo-terminal. The shell traps SIGINT (so that Ctrl-C reaches
// webcall, not the shell that will print the terminal's mode after it)
// and reports webcall's exit code.
func startPTYCall(t *testing.T, e *e2e, s *pulse.Server, args ...string) *ptyCall {
	t.Helper()
	return startPTY(t, e, s, append([]string{"call", "--url", e.srv.URL, "--api-key", e.srv.APIKey,
		"--agent-name", e.name, "--max-duration", "60s"}, args...)...)
}

// startPTY starts webcall with args (a command and its flags; no
// argument may need quoting) on s's devices, with e's API secret, on a
// pseudo-terminal, as startPTYCall does.
func startPTY(t *testing.T, e *e2e, s *pulse.Server, args ...string) *ptyCall {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatalf("script(1) from util-linux is needed for this test: %v", err)
	}
	webcall := append([]string{webcallBin}, args...)
	shell := fmt.Sprintf("trap true INT; %s; echo webcall-exit=$?; stty -a", strings.Join(webcall, " "))
	cmd := execCommand(context.Background(), script, "-qfec", shell, "/dev/null")
	cmd.Env = append(cmd.Env, s.Env()...)
	cmd.Env = append(cmd.Env, "LIVEKIT_API_SECRET="+e.srv.APISecret, "TERM=xterm")
	keys, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &ptyCall{keys: keys, events: make(chan event.Event, 1024), done: make(chan struct{}), changed: make(chan struct{}, 1)}
	go func() {
		defer close(c.done)
		defer close(c.events)
		buf := make([]byte, 4096)
		var line []byte
		for {
			n, err := out.Read(buf)
			c.mu.Lock()
			c.out.Write(buf[:n])
			c.mu.Unlock()
			select {
			case c.changed <- struct{}{}:
			default:
			}
			line = append(line, buf[:n]...)
			for {
				end := strings.IndexByte(string(line), '\n')
				if end < 0 {
					break
				}
				var ev event.Event
				if text := strings.TrimSpace(string(line[:end])); strings.HasPrefix(text, "{") && json.Unmarshal([]byte(text), &ev) == nil {
					c.events <- ev
				}
				line = line[end+1:]
			}
			if err != nil {
				break
			}
		}
		err := cmd.Wait()
		c.mu.Lock()
		if err != nil {
			c.code = -1
			if ee, ok := err.(*exec.ExitError); ok {
				c.code = ee.ExitCode()
			}
		}
		c.mu.Unlock()
	}()
	t.Cleanup(func() {
		keys.Close()
		cmd.Process.Kill()
		<-c.done
	})
	return c
}

func (c *ptyCall) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// press types keys on the terminal.
func (c *ptyCall) press(t *testing.T, keys string) {
	t.Helper()
	if _, err := io.WriteString(c.keys, keys); err != nil {
		t.Fatalf("type %q: %v", keys, err)
	}
}

// waitOutput waits until what the terminal showed after from (an offset
// into the output) matches re, and returns the offset after the match.
func (c *ptyCall) waitOutput(t *testing.T, from int, re *regexp.Regexp, timeout time.Duration) int {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if out := c.output(); len(out) > from {
			if loc := re.FindStringIndex(out[from:]); loc != nil {
				return from + loc[1]
			}
		}
		select {
		case <-c.changed:
		case <-c.done:
			if loc := re.FindStringIndex(c.output()[from:]); loc != nil {
				return from + loc[1]
			}
			t.Fatalf("the call ended before the terminal showed %s:\n%q", re, c.output())
		case <-deadline:
			t.Fatalf("the terminal did not show %s within %s:\n%q", re, timeout, c.output())
		}
	}
}

// waitEvent returns the next event that matches, from now on.
func (c *ptyCall) waitEvent(t *testing.T, what string, timeout time.Duration, match func(event.Event) bool) event.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("the call ended while waiting for %s:\n%q", what, c.output())
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within %s:\n%q", what, timeout, c.output())
		}
	}
}

// eventsFor returns the events that come within d.
func (c *ptyCall) eventsFor(d time.Duration) []event.Event { return eventsWithin(c.events, d) }

// hangUp types Ctrl-C and waits for the shell to finish; it returns what
// the terminal showed.
func (c *ptyCall) hangUp(t *testing.T) string {
	t.Helper()
	c.press(t, "\x03")
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("webcall did not end 30s after Ctrl-C:\n%q", c.output())
	}
	c.mu.Lock()
	code := c.code
	c.mu.Unlock()
	if code != 0 {
		t.Fatalf("the shell running webcall ended with %d:\n%q", code, c.output())
	}
	return c.output()
}

// checkHungUp checks that Ctrl-C on the terminal hung up (exit 130) and
// that the terminal's mode was put back: line editing, echo and signals,
// as the shell had them.
func checkHungUp(t *testing.T, out string) {
	t.Helper()
	if !strings.Contains(out, fmt.Sprintf("webcall-exit=%d", exitInterrupted)) {
		t.Errorf("Ctrl-C typed on the terminal did not hang up with exit code %d:\n%q", exitInterrupted, out)
	}
	checkTerminalMode(t, out)
}

// checkTerminalMode checks that after webcall the terminal's mode (which
// the shell prints after webcall-exit=) has line editing, echo and
// signals, as the shell had them.
func checkTerminalMode(t *testing.T, out string) {
	t.Helper()
	_, mode, _ := strings.Cut(out, "webcall-exit=")
	flags := map[string]bool{}
	for _, f := range strings.FieldsFunc(mode, func(r rune) bool { return r == ' ' || r == ';' || r == '\r' || r == '\n' }) {
		flags[f] = true
	}
	for _, want := range []string{"icanon", "echo", "isig"} {
		if !flags[want] || flags["-"+want] {
			t.Errorf("after webcall the terminal lacks %s:\n%s", want, mode)
		}
	}
}

// With --muted the agent hears nothing, whatever the microphone picks up;
// m unmutes and the agent hears the user; m mutes again. Each toggle is
// a mute event.
func TestMuteKeyOnATerminal(t *testing.T) {
	e := startE2E(t, testagent.Options{})
	s := pulse.Start(t)
	c := startPTYCall(t, e, s, "--format", "json", "--muted")
	c.waitOutput(t, 0, regexp.MustCompile(`press m to unmute, Ctrl-C to hang up`), 30*time.Second)
	c.waitEvent(t, "the agent", 20*time.Second, isType(event.AgentJoined))
	e.waitHearing(t)

	sayIntoMic(t, s, "hello.wav")
	// The agent transcribes an utterance 600 ms after it ends.
	for _, ev := range c.eventsFor(3 * time.Second) {
		if ev.Type == event.Transcript && ev.Speaker == event.SpeakerUser {
			t.Fatalf("the agent heard the user while muted: %+v", ev)
		}
	}

	c.press(t, "m")
	if ev := c.waitEvent(t, "a mute event", 10*time.Second, isType(event.Mute)); ev.State != event.MuteOff {
		t.Errorf("mute event after m: %+v, want state %q", ev, event.MuteOff)
	}
	sayIntoMic(t, s, "hello.wav")
	if user := c.waitEvent(t, "the user's transcript", 20*time.Second, isFinal(event.SpeakerUser)); user.Text != heard {
		t.Errorf("the agent heard %q, want %q", user.Text, heard)
	}

	c.press(t, "m")
	if ev := c.waitEvent(t, "a mute event", 10*time.Second, isType(event.Mute)); ev.State != event.MuteOn {
		t.Errorf("mute event after the second m: %+v, want state %q", ev, event.MuteOn)
	}
	out := c.hangUp(t)
	for _, want := range []string{"microphone on", "microphone muted", "webcall: hung up"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal did not show %q:\n%q", want, out)
		}
	}
	checkHungUp(t, out)
	noLibraryNoise(t, out)
}

// The meter row below the transcript shows the microphone's level while
// the user speaks, and [muted] once m is pressed.
func TestLevelMeterOnATerminal(t *testing.T) {
	e := startE2E(t, testagent.Options{})
	s := pulse.Start(t)
	c := startPTYCall(t, e, s)
	at := c.waitOutput(t, 0, regexp.MustCompile(`press m to mute, Ctrl-C to hang up`), 30*time.Second)
	at = c.waitOutput(t, at, regexp.MustCompile(`mic [▁-█]{5}  -∞ dB   agent [▁-█]{5}`), 30*time.Second)
	at = c.waitOutput(t, at, regexp.MustCompile(`joined room`), 30*time.Second)

	clip, err := audio.LoadFile(repoFile("audio", "hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	said := make(chan error, 1)
	go func() { said <- s.Play(context.Background(), pulse.MicSink, clip.Samples) }()
	at = c.waitOutput(t, at, regexp.MustCompile(`mic [▁-█]{5} +-[0-9]+ dB   agent`), 20*time.Second)
	if err := <-said; err != nil {
		t.Fatal(err)
	}

	c.press(t, "m")
	c.waitOutput(t, at, regexp.MustCompile(`microphone muted(.|\n)*muted[^\n]* [0-9]+:[0-9]{2}[^\n]*   mic [▁-█]{5} `), 10*time.Second)
	out := c.hangUp(t)
	checkHungUp(t, out)
	noLibraryNoise(t, out)
}
