package release

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
)

func TestMain(m *testing.M) {
	// The in-process test agent uses the SDK, whose default logger prints
	// every pion step; the emulated webcall has its own.
	lksdk.SetLogger(protologger.GetDiscardLogger())
	os.Exit(m.Run())
}

// What the test agent takes testdata/audio/hello.wav to say, and what it
// answers with testdata/audio/reply.wav.
const (
	heard     = "Hello, I would like to book a table for two tonight."
	replyText = "Sure, I can help you with that. What time would you like?"
)

// callTimeout bounds the emulated call: about 3 s of speech, the reply's
// 4 s, and qemu's translation of every Go and C function on first use.
const callTimeout = 4 * time.Minute

// requireArm64Tools skips the test when the machine lacks what it needs,
// and fails it in CI, which must prove the arm64 build.
func requireArm64Tools(t *testing.T, prebuilt bool) {
	t.Helper()
	var missing []Need
	for _, n := range Missing(Host) {
		// A prebuilt binary needs no compiler, only its loader and qemu.
		if prebuilt && n.Package != "qemu-user-static" && n.Package != "libc6:arm64" {
			continue
		}
		missing = append(missing, n)
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("the arm64 release test cannot run: " + installHint(missing))
	}
	t.Skip("skipping the arm64 release test: " + installHint(missing))
}

// TestArm64BuildCallsUnderQemu runs the linux/arm64 release build under
// qemu-user: it reports the version stamped in and its platform, then
// makes a scripted file call to the local server's test agent and gets the
// agent's reply, as captions and as audio. The agent and the server run
// natively; only webcall is emulated, cgo libraries (Opus, soxr, vorbis,
// PortAudio, speexdsp) and all.
func TestArm64BuildCallsUnderQemu(t *testing.T) {
	if testing.Short() {
		t.Skip("the arm64 release build and a call under qemu take minutes")
	}
	requireArm64Tools(t, os.Getenv(PrebuiltEnv) != "")
	root, err := lkserver.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b := theArm64Build(t, root)
	checkVersion(t, b)

	srv := lkserver.Start(t)
	// After the server, so it runs after the agent's cleanup and before
	// the server stops.
	t.Cleanup(leaktest.Check(t))
	agentLog := &bytes.Buffer{}
	agent, err := testagent.Start(context.Background(), testagent.Options{
		URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret,
		AgentName:      "arm64-release-agent",
		Heard:          []string{heard},
		ReplyText:      replyText,
		ReplyWAV:       filepath.Join(root, "testdata", "audio", "reply.wav"),
		InterruptAfter: -1,
		Logger:         slog.New(slog.NewTextHandler(agentLog, nil)),
	})
	if err != nil {
		t.Fatalf("start the test agent: %v", err)
	}
	defer func() {
		agent.Close()
		if t.Failed() {
			t.Logf("the test agent's log:\n%s", agentLog)
		}
	}()

	out := filepath.Join(t.TempDir(), "reply.wav")
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	stdout, stderr, code, took := runQemu(t, ctx, b.path, map[string]string{"LIVEKIT_API_SECRET": srv.APISecret},
		"call", "--url", srv.URL, "--api-key", srv.APIKey, "--agent-name", "arm64-release-agent",
		"--input", filepath.Join(root, "testdata", "audio", "hello.wav"), "--output", out, "--format", "json",
		"--wait-agent", "60s", "--reply-timeout", "60s", "--connect-timeout", "30s", "--max-duration", "180s")
	t.Logf("the emulated call took %s", took.Round(100*time.Millisecond))
	if code != 0 {
		t.Fatalf("webcall call under qemu: exit code %d\nstderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	if strings.Contains(stderr, srv.APISecret) || strings.Contains(stdout, srv.APISecret) {
		t.Errorf("the API secret appears in webcall's output")
	}
	checkReply(t, stdout)
	checkOutputWAV(t, out, filepath.Join(root, "testdata", "audio", "reply.wav"))
}

// checkVersion runs `webcall version --json` under qemu.
func checkVersion(t *testing.T, b arm64Build) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stdout, stderr, code, took := runQemu(t, ctx, b.path, nil, "version", "--json")
	t.Logf("webcall version --json under qemu took %s", took.Round(time.Millisecond))
	if code != 0 {
		t.Fatalf("webcall version --json under qemu: exit code %d\n%s", code, stderr)
	}
	var v struct {
		Version  string `json:"version"`
		Commit   string `json:"commit"`
		Platform string `json:"platform"`
	}
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("webcall version --json: %v\n%s", err, stdout)
	}
	if v.Version != b.version {
		t.Errorf("version %q, want %q (stamped by the release build)", v.Version, b.version)
	}
	if b.commit != "" && v.Commit != b.commit {
		t.Errorf("commit %q, want %q", v.Commit, b.commit)
	}
	if v.Platform != "linux/arm64" {
		t.Errorf("platform %q, want linux/arm64", v.Platform)
	}
}

// runQemu runs an arm64 program under qemu-user with env added to a
// minimal environment, and returns what it printed, its exit code and how
// long it took.
func runQemu(t *testing.T, ctx context.Context, bin string, env map[string]string, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	cmd := exec.CommandContext(ctx, Qemu, append([]string{bin}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %s: %v", Qemu, err)
		}
		code = ee.ExitCode()
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not end within its time (%s)\nstderr:\n%s", Qemu, strings.Join(args[:1], " "), took.Round(time.Second), errOut.String())
	}
	return out.String(), errOut.String(), code, took
}

// checkReply checks the JSON events: the user's words as the agent heard
// them and the agent's reply, each one final caption.
func checkReply(t *testing.T, stdout string) {
	t.Helper()
	var user, agent []string
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("stdout line is not a JSON event: %q: %v", sc.Text(), err)
		}
		if e.Type != event.Transcript || e.Final == nil || !*e.Final {
			continue
		}
		switch e.Speaker {
		case event.SpeakerUser:
			user = append(user, e.Text)
		case event.SpeakerAgent:
			agent = append(agent, e.Text)
		}
	}
	if len(user) != 1 || user[0] != heard {
		t.Errorf("user's final captions %q, want exactly %q", user, heard)
	}
	if len(agent) != 1 || agent[0] != replyText {
		t.Errorf("agent's final captions %q, want exactly %q\nstdout:\n%s", agent, replyText, stdout)
	}
}

// checkOutputWAV checks that the emulated Opus decoder wrote the agent's
// speech, about as long as what the agent sent.
func checkOutputWAV(t *testing.T, path, sentPath string) {
	t.Helper()
	got, err := audio.LoadFile(path)
	if err != nil {
		t.Fatalf("read the output WAV: %v", err)
	}
	sent, err := audio.LoadFile(sentPath)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Duration() - sent.Duration(); math.Abs(float64(d)) > float64(200*time.Millisecond) {
		t.Errorf("the output WAV holds %s of audio, the agent sent %s", got.Duration(), sent.Duration())
	}
	if ratio := audio.SpeechRatio(got.Samples); ratio < 0.5 {
		t.Errorf("the output WAV is %.0f%% speech, want mostly speech", ratio*100)
	}
}
