//go:build !noportaudio

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
)

// End-to-end calls through real audio devices: the built binary talks to
// the test agent on the local LiveKit server with PulseAudio's virtual
// microphone and speaker (internal/pulse), through PortAudio, ALSA and
// PulseAudio as on a user's machine.

// liveCall is a `webcall call --format json` running on the virtual
// devices, whose events the test follows as they come.
type liveCall struct {
	cmd    *exec.Cmd
	events chan event.Event // closed when stdout ends
	stderr *lockedBuffer

	mu  sync.Mutex
	out strings.Builder
	all []event.Event

	// waitOnce makes cmd.Wait safe to reach from both the test (wait) and
	// its cleanup, which may run while a goroutine of the test still waits.
	waitOnce sync.Once
	waitErr  error
}

func (c *liveCall) waitProcess() error {
	c.waitOnce.Do(func() { c.waitErr = c.cmd.Wait() })
	return c.waitErr
}

// startLiveCall starts webcall against e's agent with s's devices: the
// microphone and the speaker are the defaults, so args add only flags.
func startLiveCall(t *testing.T, e *e2e, s *pulse.Server, args ...string) *liveCall {
	t.Helper()
	cmd := execCommand(context.Background(), webcallBin, e.callArgs(append([]string{"--format", "json"}, args...)...)...)
	cmd.Env = append(cmd.Env, "LIVEKIT_API_SECRET="+e.srv.APISecret)
	cmd.Env = append(cmd.Env, s.Env()...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &liveCall{cmd: cmd, events: make(chan event.Event, 1024), stderr: &lockedBuffer{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev event.Event
			c.mu.Lock()
			c.out.WriteString(sc.Text() + "\n")
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				c.all = append(c.all, ev)
			}
			c.mu.Unlock()
			c.events <- ev
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		c.waitProcess()
	})
	return c
}

// waitFor returns the first event from now on for which match is true.
func (c *liveCall) waitFor(t *testing.T, what string, timeout time.Duration, match func(event.Event) bool) event.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				r := c.wait(t)
				t.Fatalf("the call ended (exit %d) while waiting for %s\nstderr:\n%s", r.code, what, r.stderr)
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within %s\nstderr:\n%s", what, timeout, c.stderr.String())
		}
	}
}

// quietFor waits d and returns the events that came meanwhile.
func (c *liveCall) quietFor(d time.Duration) []event.Event { return eventsWithin(c.events, d) }

// eventsWithin returns the events that arrive on ch within d (or until it
// is closed).
func eventsWithin(ch <-chan event.Event, d time.Duration) []event.Event {
	var evs []event.Event
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return evs
			}
			evs = append(evs, ev)
		case <-deadline:
			return evs
		}
	}
}

// hangUp ends the call as a user would (Ctrl-C) and returns how it ended.
func (c *liveCall) hangUp(t *testing.T) result {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	return c.wait(t)
}

func (c *liveCall) wait(t *testing.T) result {
	t.Helper()
	for range c.events {
	}
	err := c.waitProcess()
	code := 0
	if err != nil {
		code = exitCodeOf(t, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return result{stdout: c.out.String(), stderr: c.stderr.String(), code: code}
}

func (c *liveCall) allEvents() []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.all...)
}

func isType(typ event.Type) func(event.Event) bool {
	return func(e event.Event) bool { return e.Type == typ }
}

func isFinal(speaker string) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.Type == event.Transcript && e.Speaker == speaker && e.Final != nil && *e.Final
	}
}

func isState(state string) func(event.Event) bool {
	return func(e event.Event) bool { return e.Type == event.AgentState && e.State == state }
}

// sayIntoMic plays a testdata WAV into the virtual microphone, in real time.
func sayIntoMic(t *testing.T, s *pulse.Server, name string) {
	t.Helper()
	clip, err := audio.LoadFile(repoFile("audio", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PlayIntoMic(context.Background(), clip.Samples); err != nil {
		t.Fatal(err)
	}
}

// speechFrames is how many 20 ms frames of samples are speech.
func speechFrames(samples []int16) float64 {
	return audio.SpeechRatio(samples) * float64(len(samples)) / float64(audio.FrameSamples)
}

// The product on a user's machine: webcall with no --input or --output
// talks through the microphone and plays the agent on the speaker. The
// agent hears the user (its transcript of the user's words), and the
// speaker plays the agent's whole reply.
func TestCallThroughMicrophoneAndSpeaker(t *testing.T) {
	e := startE2E(t, testagent.Options{})
	s := pulse.Start(t)
	speaker := s.Record(t, pulse.SpeakerMonitor)

	c := startLiveCall(t, e, s)
	c.waitFor(t, "the agent", 20*time.Second, isType(event.AgentJoined))
	e.waitHearing(t)
	sayIntoMic(t, s, "hello.wav")
	user := c.waitFor(t, "the user's transcript", 20*time.Second, isFinal(event.SpeakerUser))
	c.waitFor(t, "the agent speaking", 20*time.Second, isState("speaking"))
	c.waitFor(t, "the end of the reply", 30*time.Second, isState("listening"))
	c.quietFor(time.Second) // the speaker plays what it still holds
	r := c.hangUp(t)
	played, err := speaker.Stop()
	if err != nil {
		t.Fatal(err)
	}

	checkDeviceTurn(t, c, user, played)
	if r.code != exitInterrupted {
		t.Errorf("exit code %d after Ctrl-C, want %d\nstderr:\n%s", r.code, exitInterrupted, r.stderr)
	}
	if !strings.Contains(r.stderr, "audio: microphone") || !strings.Contains(r.stderr, "echo cancellation on") {
		t.Errorf("stderr does not say which devices were used:\n%s", r.stderr)
	}
	noLibraryNoise(t, r.stderr)
	noStackTrace(t, r)
}

// echoCall runs a call on open speakers: PulseAudio feeds what the speaker
// plays back into the microphone. The user speaks twice, each time after
// the agent's reply is over (the second reply comes once the echo
// canceller has warmed up on the first). It returns the user transcripts
// the agent sent, by the time the echo of the second reply would have been
// transcribed too. webcall runs with -v, so that a failure shows what the
// echo canceller measured and when (its lines end up in the test's log).
func echoCall(t *testing.T, args ...string) []event.Event {
	e := startE2E(t, testagent.Options{Heard: []string{heard, "Do you have a table by the window?"}})
	s := pulse.Start(t)
	s.Loopback(t, pulse.SpeakerMonitor, pulse.MicSink, 20*time.Millisecond)

	c := startLiveCall(t, e, s, append([]string{"-v"}, args...)...)
	c.waitFor(t, "the agent", 20*time.Second, isType(event.AgentJoined))
	e.waitHearing(t)
	for _, said := range []string{"hello.wav", "question.wav"} {
		sayIntoMic(t, s, said)
		c.waitFor(t, "the agent speaking", 20*time.Second, isState("speaking"))
		c.waitFor(t, "the end of the reply", 30*time.Second, isState("listening"))
		// The agent ends an utterance after its silence timeout: the
		// echo of the reply's end is transcribed by then, if it is
		// heard.
		c.quietFor(2 * time.Second)
	}
	r := c.hangUp(t)
	if r.code != exitInterrupted {
		t.Errorf("exit code %d after Ctrl-C, want %d\nstderr:\n%s", r.code, exitInterrupted, r.stderr)
	}
	noLibraryNoise(t, r.stderr)
	// Shown with -v, and on failure.
	t.Logf("webcall's echo canceller:\n%s", grepLines(r.stderr, "echo delay", "echo came", "xruns"))
	return finals(c.allEvents(), event.SpeakerUser)
}

// Echo cancellation in a whole call: with the speaker's sound coming back
// into the microphone, the agent hears the user twice and never takes its
// own replies for the user's speech; with --no-aec it does.
func TestCallEchoCancellation(t *testing.T) {
	t.Run("aec", func(t *testing.T) {
		users := echoCall(t)
		if len(users) != 2 {
			t.Errorf("the agent transcribed %d user utterances, want the user's 2 (its own replies must not count):\n%s", len(users), dumpEvents(users))
		}
	})
	t.Run("no-aec", func(t *testing.T) {
		users := echoCall(t, "--no-aec")
		if len(users) <= 2 {
			t.Errorf("without echo cancellation the agent transcribed %d user utterances, want its own replies heard as more:\n%s",
				len(users), dumpEvents(users))
		}
	})
}

// Failures before connecting: a device error (exit 8) with what to try,
// at once, without touching the server.
func TestCallDeviceErrors(t *testing.T) {
	running := pulse.Start(t)
	stopped := pulse.Start(t)
	stoppedEnv := pulseEnv(stopped)
	if err := stopped.Stop(); err != nil {
		t.Fatal(err)
	}
	// No server listens here: a device error must come first.
	creds := map[string]string{"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_API_KEY": "k", "LIVEKIT_API_SECRET": "s"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"no devices", stoppedEnv, []string{"call"},
			[]string{"no audio input devices found", "hint:", "--input FILE"}},
		{"unknown input device", pulseEnv(running), []string{"call", "--input-device", "usb headset"},
			[]string{`no audio input device matches "usb headset"`, `"webcall_mic"`, "webcall devices"}},
		{"unknown output device", pulseEnv(running), []string{"call", "--input", repoFile("audio", "hello.wav"), "--output", "speaker", "--output-device", "hdmi"},
			[]string{`no audio output device matches "hdmi"`, `"webcall_speaker"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range creds {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r := runBin(t, ctx, env, tt.args...)
			if r.code != exitDevice {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, exitDevice, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "connecting") {
				t.Errorf("it tried to connect before finding the device:\n%s", r.stderr)
			}
			if r.elapsed > 5*time.Second {
				t.Errorf("took %s to fail", r.elapsed)
			}
			noLibraryNoise(t, r.stderr)
			noStackTrace(t, r)
		})
	}
}

// A scripted call (--input FILE) on a machine without audio devices runs
// as before: the default speaker is best effort, and the call says it is
// not playing the agent.
func TestFileCallWithoutSpeaker(t *testing.T) {
	e := startE2E(t, testagent.Options{})
	s := pulse.Start(t)
	env := pulseEnv(s)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	env["LIVEKIT_API_SECRET"] = e.srv.APISecret
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := runBin(t, ctx, env, "call", "--url", e.srv.URL, "--api-key", e.srv.APIKey, "--agent-name", e.name,
		"--input", repoFile("audio", "hello.wav"), "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "not playing the agent's audio") {
		t.Errorf("stderr does not say the agent is not played:\n%s", r.stderr)
	}
	if agent := finals(parseEvents(t, r.stdout), event.SpeakerAgent); len(agent) != 1 {
		t.Errorf("agent finals = %+v, want the reply", agent)
	}
	noLibraryNoise(t, r.stderr)
}

// The sound server dies mid-call (a USB headset pulled out): webcall ends
// the call with a device error within seconds, instead of hanging or
// sending nothing.
func TestCallDeviceLost(t *testing.T) {
	e := startE2E(t, testagent.Options{})
	s := pulse.Start(t)
	c := startLiveCall(t, e, s)
	c.waitFor(t, "the agent", 20*time.Second, isType(event.AgentJoined))
	lost := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- c.wait(t) }()
	var r result
	select {
	case r = <-done:
	case <-time.After(15 * time.Second):
		// Its goroutines say where it hangs (SIGQUIT makes a Go
		// program print them and exit).
		c.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case r = <-done:
		case <-time.After(5 * time.Second):
		}
		t.Fatalf("webcall still runs 15s after its devices vanished\nstderr:\n%s", c.stderr.String())
	}
	t.Logf("ended %s after the devices vanished", time.Since(lost).Round(10*time.Millisecond))
	if r.code != exitDevice {
		t.Errorf("exit code %d, want %d\nstderr:\n%s", r.code, exitDevice, r.stderr)
	}
	if !strings.Contains(r.stderr, "stopped responding") || !strings.Contains(r.stderr, "hint:") {
		t.Errorf("stderr does not explain the lost device:\n%s", r.stderr)
	}
	evs := parseEvents(t, r.stdout)
	if last := evs[len(evs)-1]; last.Type != event.Error || last.Code != exitDevice || last.Kind != "device" {
		t.Errorf("last event %+v, want an error event of kind device, code %d", last, exitDevice)
	}
	noLibraryNoise(t, r.stderr)
	noStackTrace(t, r)
}

// checkDeviceTurn checks one turn of a call through the devices: the
// agent heard the words played into the microphone (user is its final
// transcript of them), replied once, and the speaker's monitor (played)
// holds about the reply's speech.
func checkDeviceTurn(t *testing.T, c *liveCall, user event.Event, played []int16) {
	t.Helper()
	if user.Text != heard {
		t.Errorf("the agent heard %q, want %q", user.Text, heard)
	}
	if agent := finals(c.allEvents(), event.SpeakerAgent); len(agent) != 1 || agent[0].Text != replyText {
		t.Errorf("agent finals = %+v, want the reply once", agent)
	}
	reply, err := audio.LoadFile(repoFile("audio", "reply.wav"))
	if err != nil {
		t.Fatal(err)
	}
	got, want := speechFrames(played), speechFrames(reply.Samples)
	t.Logf("the speaker played %.0f frames of speech; the reply has %.0f", got, want)
	if got < 0.9*want || got > 1.3*want {
		t.Errorf("the speaker played %.0f frames of speech, want about the reply's %.0f", got, want)
	}
}

// grepLines returns the lines of text that contain any of words, for a
// failure message that shows only what matters.
func grepLines(text string, words ...string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		for _, w := range words {
			if strings.Contains(strings.ToLower(line), w) {
				b.WriteString(line + "\n")
				break
			}
		}
	}
	return b.String()
}
