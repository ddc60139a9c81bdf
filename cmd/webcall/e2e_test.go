package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
)

// heard is what the test agent "recognizes" in testdata/audio/hello.wav.
const heard = "Hello, I would like to book a table for two tonight."

// replyText is what the test agent says back, with reply.wav's audio.
const replyText = "Sure, I can help you with that. What time would you like?"

// e2e is one local server plus one test agent registered under a name.
type e2e struct {
	srv   *lkserver.Server
	agent *testagent.Agent
	name  string
}

// inParallel lets an end-to-end test run beside other such tests: go test
// runs them two at a time here (GOMAXPROCS on these two-core machines),
// once the serial tests of the package are done. Only tests that measure
// no latency, echo or sound device take it; those stay serial, where no
// other call competes with them for the CPU. Each test has its own server
// and agent, and leaktest tells their goroutines apart by label.
//
// Every parallel test holds a leak check for its whole life, even one that
// starts its agent without startE2E: a check that saw no other check live
// counts every new goroutine in the process as its own, and so blamed one
// test for the agent and the webcall process of another that had none
// (TestTextCallEndToEnd in CI, beside TestNoSecretsInOutput).
func inParallel(t *testing.T) {
	t.Helper()
	t.Parallel()
	t.Cleanup(leaktest.Check(t))
}

// e2eOption changes how startE2E sets a test up.
type e2eOption func(*e2eSetup)

type e2eSetup struct {
	srv  []lkserver.Option
	leak []leaktest.Option
}

// withServer starts the test's server with these options.
func withServer(o ...lkserver.Option) e2eOption {
	return func(s *e2eSetup) { s.srv = append(s.srv, o...) }
}

// ignoringLeaks adds to what the test's leak check leaves out.
func ignoringLeaks(o ...leaktest.Option) e2eOption {
	return func(s *e2eSetup) { s.leak = append(s.leak, o...) }
}

func startE2E(t *testing.T, opts testagent.Options, setup ...e2eOption) *e2e {
	t.Helper()
	return startE2ETB(t, opts, setup...)
}

// startE2ETB is startE2E for benchmarks too.
func startE2ETB(t testing.TB, opts testagent.Options, setup ...e2eOption) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: needs the local LiveKit server")
	}
	var cfg e2eSetup
	for _, o := range setup {
		o(&cfg)
	}
	srv := lkserver.Start(t, cfg.srv...)
	// Right after the server: it runs after every other cleanup (the
	// agent's, the call's, the sound daemon's) but before the server
	// stops, so a goroutine still talking to the server is found, not
	// ended by the server's going.
	t.Cleanup(leaktest.Check(t, cfg.leak...))
	if opts.AgentName == "" {
		opts.AgentName = "e2e-agent-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	}
	if len(opts.Heard) == 0 {
		opts.Heard = []string{heard}
	}
	if opts.ReplyText == "" {
		opts.ReplyText = replyText
	}
	if opts.ReplyWAV == "" {
		opts.ReplyWAV = repoFile("audio", "reply.wav")
	}
	if opts.InterruptAfter == 0 {
		// The calls here answer a user who talks over the agent (and the
		// echo tests must not be cut short by their own leaks); the
		// scenario tests that barge in ask for interruption.
		opts.InterruptAfter = -1
	}
	opts.URL, opts.APIKey, opts.APISecret = srv.URL, srv.APIKey, srv.APISecret
	// What the agent heard and did is the first thing to know when a
	// call test fails; it is printed then, after the agent has closed.
	agentLog := &lockedBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(agentLog, nil))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the test agent's log (last %d lines):\n%s", agentLogLines, lastLines(agentLog.String(), agentLogLines))
		}
	})
	a, err := testagent.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start the test agent: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return &e2e{srv: srv, agent: a, name: opts.AgentName}
}

// call runs the webcall binary against the agent with a minted token that
// dispatches it by name.
func (e *e2e) call(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	return runBin(t, ctx, map[string]string{"LIVEKIT_API_SECRET": e.srv.APISecret}, e.fileCallArgs(args...)...)
}

// callArgs is the command line of a call to the test agent, with a token
// minted here that dispatches it by name (the secret goes in the
// environment), then args.
func (e *e2e) callArgs(args ...string) []string {
	base := []string{"call", "--url", e.srv.URL, "--api-key", e.srv.APIKey, "--agent-name", e.name, "--max-duration", "60s"}
	return append(base, args...)
}

// fileCallArgs is callArgs for a call that says hello.wav.
func (e *e2e) fileCallArgs(args ...string) []string {
	return e.callArgs(append([]string{"--input", repoFile("audio", "hello.wav")}, args...)...)
}

// waitHearing waits until the agent has subscribed to the user's
// microphone, so that what is said into it next is heard from its start.
func (e *e2e) waitHearing(t *testing.T) {
	t.Helper()
	select {
	case <-e.agent.Hearing():
	case <-time.After(20 * time.Second):
		t.Fatal("the agent did not subscribe to the microphone within 20s")
	}
}

// agentLogLines is how much of the agent's log a failing test prints.
const agentLogLines = 20

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func parseEvents(t testing.TB, stdout string) []event.Event {
	t.Helper()
	var evs []event.Event
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("stdout line is not a JSON event: %q: %v", sc.Text(), err)
		}
		evs = append(evs, e)
	}
	return evs
}

// finals returns the final transcript events of a speaker.
func finals(evs []event.Event, speaker string) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Type == event.Transcript && e.Speaker == speaker && e.Final != nil && *e.Final {
			out = append(out, e)
		}
	}
	return out
}

// checkOneTurn checks a one-turn call's captions: the user's words and
// the agent's reply, each exactly one final segment.
func checkOneTurn(t *testing.T, evs []event.Event) {
	t.Helper()
	user, agent := finals(evs, event.SpeakerUser), finals(evs, event.SpeakerAgent)
	if len(user) != 1 || user[0].Text != heard {
		t.Errorf("user finals: want exactly one %q, got:\n%s", heard, dumpEvents(user))
	}
	if len(agent) != 1 || agent[0].Text != replyText {
		t.Errorf("agent finals: want exactly one %q, got:\n%s", replyText, dumpEvents(agent))
	}
}

func dumpEvents(evs []event.Event) string {
	var b strings.Builder
	for _, e := range evs {
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestCallEndToEnd is the whole product in one test: the built binary
// mints a token that dispatches the test agent by name, speaks a WAV file,
// and ends by itself when the reply is over. The JSON transcript holds each
// final segment exactly once (the agent sends every caption twice, as text
// streams and as legacy packets with other ids), interim text is replaced,
// not appended, and the agent's audio in --output is speech as long as what
// the agent sent.
func TestCallEndToEnd(t *testing.T) {
	inParallel(t)
	e := startE2E(t, testagent.Options{})
	dir := t.TempDir()
	out, rec := filepath.Join(dir, "reply.wav"), filepath.Join(dir, "call.wav")

	r := e.call(t, context.Background(), "--format", "json", "--output", out, "--record", rec)
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	noStackTrace(t, r)
	evs := parseEvents(t, r.stdout)

	checkOneTurn(t, evs)

	// Interim text of a segment only ever grows into the final text: it is
	// replaced by each update, never appended to.
	interims := 0
	for _, ev := range evs {
		if ev.Type != event.Transcript || *ev.Final {
			continue
		}
		interims++
		want := heard
		if ev.Speaker == event.SpeakerAgent {
			want = replyText
		}
		if !strings.HasPrefix(want, strings.TrimSpace(ev.Text)) {
			t.Errorf("interim %q is not a prefix of %q (appended instead of replaced?)", ev.Text, want)
		}
	}
	if interims == 0 {
		t.Errorf("no interim transcript events: the agent sends several")
	}

	types := map[event.Type]bool{}
	for _, ev := range evs {
		types[ev.Type] = true
	}
	for _, want := range []event.Type{event.Connected, event.AgentJoined, event.AgentState, event.InputDone, event.Stats, event.Disconnected} {
		if !types[want] {
			t.Errorf("no %s event", want)
		}
	}
	last := evs[len(evs)-1]
	if last.Type != event.Disconnected || !strings.Contains(last.Reason, "reply is over") {
		t.Errorf("last event %+v, want disconnected because the reply is over", last)
	}

	// The agent's audio: speech, as long as what it sent within 100 ms.
	got, err := audio.LoadFile(out)
	if err != nil {
		t.Fatalf("read --output: %v", err)
	}
	sent, err := audio.LoadFile(repoFile("audio", "reply.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Duration() - sent.Duration(); math.Abs(float64(d)) > float64(100*time.Millisecond) {
		t.Errorf("--output holds %s of audio, the agent sent %s", got.Duration(), sent.Duration())
	}
	if ratio := audio.SpeechRatio(got.Samples); ratio < 0.5 {
		t.Errorf("--output is %.0f%% speech, want mostly speech", ratio*100)
	}

	// The recording: stereo, you on the left, the agent on the right.
	checkRecording(t, rec, 3*time.Second)
}

func checkRecording(t *testing.T, path string, atLeast time.Duration) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open --record: %v", err)
	}
	defer f.Close()
	clip, err := audio.DecodeWAV(f, path)
	if err != nil {
		t.Fatalf("read --record: %v", err)
	}
	if clip.SourceChannels != 2 {
		t.Fatalf("--record has %d channels, want 2", clip.SourceChannels)
	}
	if clip.Duration() < atLeast {
		t.Errorf("--record holds only %s", clip.Duration())
	}
}

// Ctrl-C and SIGTERM hang up cleanly: the documented exit code, a valid
// WAV file with what was received so far, no temporary files.
func TestHangUpBySignal(t *testing.T) {
	inParallel(t)
	e := startE2E(t, testagent.Options{})
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, exitInterrupted}, {syscall.SIGTERM, exitTerminated}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			rec := filepath.Join(dir, "call.wav")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan result, 1)
			go func() {
				done <- e.callWithSignal(t, ctx, c.sig, "--record", rec, "--format", "json")
			}()
			r := <-done
			if r.code != c.code {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, c.code, r.stderr)
			}
			if !strings.Contains(r.stderr, "hung up") {
				t.Errorf("stderr does not say it hung up:\n%s", r.stderr)
			}
			evs := parseEvents(t, r.stdout)
			if last := evs[len(evs)-1]; last.Type != event.Error || last.Code != c.code {
				t.Errorf("last event %+v, want an error event with code %d", last, c.code)
			}
			checkRecording(t, rec, 300*time.Millisecond)
			assertNoPartFiles(t, dir)
			noStackTrace(t, r)
		})
	}
}

// callWatching starts a call and hands each line it prints on stdout to
// act until act reports it has acted (it may signal the process, say);
// then it waits for the call to end. acted says whether act did.
func (e *e2e) callWatching(t *testing.T, ctx context.Context, act func(cmd *exec.Cmd, line []byte) bool, args ...string) (r result, acted bool) {
	t.Helper()
	cmd := execCommand(ctx, webcallBin, e.fileCallArgs(args...)...)
	cmd.Env = append(cmd.Env, "LIVEKIT_API_SECRET="+e.srv.APISecret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if !acted {
			acted = act(cmd, sc.Bytes())
		}
	}
	err = cmd.Wait()
	code := 0
	if err != nil {
		code = exitCodeOf(t, err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}, acted
}

// callWithSignal starts a call, sends sig once the user's words are being
// transcribed (seen on stdout), and returns how the process ended.
func (e *e2e) callWithSignal(t *testing.T, ctx context.Context, sig syscall.Signal, args ...string) result {
	t.Helper()
	r, signalled := e.callWatching(t, ctx, func(cmd *exec.Cmd, line []byte) bool {
		if !bytes.Contains(line, []byte(`"type":"transcript"`)) {
			return false
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Error(err)
		}
		return true
	}, args...)
	if !signalled {
		t.Fatalf("the call ended before it could be interrupted:\n%s", r.stderr)
	}
	return r
}

// TestNoAgent: connected, but nobody dispatched: exit 5 after --wait-agent.
func TestNoAgent(t *testing.T) {
	inParallel(t)
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := lkserver.Start(t)
	r := runBin(t, context.Background(), map[string]string{"LIVEKIT_API_SECRET": srv.APISecret},
		"call", "--url", srv.URL, "--api-key", srv.APIKey, "--agent-name", "nobody-is-registered-as-this",
		"--input", repoFile("audio", "hello.wav"), "--wait-agent", "2s")
	if r.code != exitNoAgent {
		t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, exitNoAgent, r.stderr)
	}
	if !strings.Contains(r.stderr, "no agent joined") || !strings.Contains(r.stderr, "--agent-name") {
		t.Errorf("unclear message:\n%s", r.stderr)
	}
	noStackTrace(t, r)
}

// The text renderer prints one line per final segment, labelled.
func TestCallTextTranscript(t *testing.T) {
	inParallel(t)
	e := startE2E(t, testagent.Options{})
	r := e.call(t, context.Background())
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", r.code, r.stderr)
	}
	want := fmt.Sprintf("you: %s\nagent: %s\n", heard, replyText)
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// On a terminal, words still being spoken are shown and rewritten in place,
// and each segment ends as one full line. The call runs under script(1),
// which gives it a pseudo-terminal, as a person's terminal would.
func TestCallOnATerminal(t *testing.T) {
	inParallel(t)
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatalf("script(1) from util-linux is needed for this test: %v", err)
	}
	e := startE2E(t, testagent.Options{})
	cmdline := fmt.Sprintf("%s call --url %s --api-key %s --agent-name %s --input %s --output %s --max-duration 60s",
		webcallBin, e.srv.URL, e.srv.APIKey, e.name, repoFile("audio", "hello.wav"), filepath.Join(t.TempDir(), "o.wav"))
	r := runBin2(t, script, map[string]string{"LIVEKIT_API_SECRET": e.srv.APISecret, "TERM": "xterm", "COLUMNS": "100"},
		"-qec", cmdline, "/dev/null")
	if r.code != 0 {
		t.Fatalf("exit code %d\n%s", r.code, r.stdout)
	}
	out := r.stdout
	// Interim text is redrawn: carriage return and erase-line before it.
	if !strings.Contains(out, "\r\x1b[") {
		t.Errorf("no in-place rewriting on the terminal:\n%q", out)
	}
	plain := regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]").ReplaceAllString(out, "")
	for _, want := range []string{"you: " + heard, "agent: " + replyText} {
		if !strings.Contains(plain, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, out)
		}
	}
	// An interim state was on screen before the final text.
	if !strings.Contains(out, "Hello, I would") || strings.Index(out, "Hello, I would") >= strings.LastIndex(out, heard) {
		t.Errorf("no interim text shown before the final one:\n%q", out)
	}
}

// runBin2 runs any program with env added to a minimal environment.
func runBin2(t *testing.T, prog string, env map[string]string, args ...string) result {
	t.Helper()
	cmd := execCommand(context.Background(), prog, args...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if err != nil {
		code = exitCodeOf(t, err)
	}
	return result{stdout: out.String(), code: code}
}
