//go:build !noportaudio

package main

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
)

// The kiosk's unit sets MemoryDenyWriteExecute=yes (the tests need
// PortAudio, hence the build tag). These tests run
// webcall under the kernel's rule of the same name (PR_SET_MDWE, which
// systemd 253 and later use for it) through testdata/mdwe: a call that
// would map memory writable and executable, or make memory executable
// later (a JIT, an executable stack, a library with text relocations),
// fails under it instead of in the field.

// buildMDWE builds testdata/mdwe and checks that the rule holds across
// exec on this kernel (a W+X mapping is refused in the program it runs).
func buildMDWE(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mdwe")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/mdwe").CombinedOutput(); err != nil {
		t.Fatalf("build testdata/mdwe: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, bin, "-probe").CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return bin
	case errors.As(err, &ee) && ee.ExitCode() == 3:
		t.Skipf("this kernel has no PR_SET_MDWE (Linux 6.3 and later): %s", out)
	}
	t.Fatalf("the rule does not hold in the program mdwe runs: %v\n%s", err, out)
	return ""
}

// Listing devices initialises PortAudio, ALSA, its pulse plugin and
// libpulse, all loaded under the rule.
func TestDevicesUnderMemoryDenyWriteExecute(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a PulseAudio daemon")
	}
	t.Cleanup(leaktest.Check(t))
	mdwe := buildMDWE(t)
	s := pulse.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := s.Command(ctx, mdwe, webcallBin, "devices")
	r := runCmd(t, cmd)
	if r.code != 0 || !strings.Contains(r.stdout, "pulse") {
		t.Fatalf("webcall devices under MemoryDenyWriteExecute: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	noStackTrace(t, r)
}

// A whole call as a kiosk makes it, under the rule: Opus encoding and
// decoding and resampling through cgo, the agent's reply played on the
// speaker through PortAudio, ALSA and PulseAudio.
func TestCallUnderMemoryDenyWriteExecute(t *testing.T) {
	mdwe := buildMDWE(t)
	e := startE2E(t, testagent.Options{})
	s := pulse.Start(t)
	speaker := s.RecordSpeaker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := execCommand(ctx, mdwe, append([]string{webcallBin}, e.fileCallArgs("--format", "json")...)...)
	cmd.Env = append(cmd.Env, "LIVEKIT_API_SECRET="+e.srv.APISecret)
	cmd.Env = append(cmd.Env, s.Env()...)
	r := runCmd(t, cmd)
	if r.code != 0 {
		t.Fatalf("the call under MemoryDenyWriteExecute: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	noStackTrace(t, r)
	checkOneTurn(t, parseEvents(t, r.stdout))
	played, err := speaker.Stop()
	if err != nil {
		t.Fatal(err)
	}
	sent, err := audio.LoadFile(repoFile("audio", "reply.wav"))
	if err != nil {
		t.Fatal(err)
	}
	// Most of the reply's speech reached the speaker.
	if got, want := speechFrames(played), speechFrames(sent.Samples); got < want/2 {
		t.Errorf("the speaker played %.0f frames of speech, the agent sent %.0f", got, want)
	}
}
