//go:build linux && !noportaudio

package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/kiosk"
)

// The kiosk's keys as a person at the kiosk uses them: `webcall kiosk`
// runs on a pseudo-terminal (script(1)) with PulseAudio's virtual devices;
// Space starts a call, which the agent hears and answers, Enter ends it,
// and Ctrl-C typed on the terminal stops the kiosk, which leaves the
// terminal's mode as it found it.
func TestKioskKeysOnATerminal(t *testing.T) {
	f := &facts{}
	e := startE2E(t, testagent.Options{OnFact: f.add})
	s := pulse.Start(t)
	addr := freeAddr(t)
	dir := filepath.Join(t.TempDir(), "calls")
	c := startPTY(t, e, s, "kiosk", "--listen", addr, "--files-dir", dir, "--transcript-format", "json", "--record",
		"--input-device", pulse.ALSAMic, "--output-device", pulse.ALSASpeaker,
		"--url", e.srv.URL, "--api-key", e.srv.APIKey, "--agent-name", e.name)
	// The API is how the test sees what the keys did.
	k := &kioskProc{base: "http://" + addr, dir: dir, exited: c.done}
	c.waitOutput(t, 0, regexp.MustCompile(`press Space or Enter to start or end a call`), 20*time.Second)
	k.waitState(t, kiosk.StateIdle, 20*time.Second)

	c.press(t, " ")
	room := k.waitHeard(t, f)
	cs := *k.status(t).Call
	sayIntoMic(t, s, "hello.wav")
	k.waitFor(t, "the agent's reply", 30*time.Second, func() bool { return f.inRoom(testagent.FactReplyStopped, room) > 0 })
	c.press(t, "\r")
	k.waitState(t, kiosk.StateIdle, 20*time.Second)
	if v := k.metric(t, `webcall_kiosk_calls_started_total{trigger="key"}`); v != 1 {
		t.Errorf("calls started by a key: %v, want 1", v)
	}
	if v := k.metric(t, `webcall_kiosk_calls_ended_total{reason="hangup"}`); v != 1 {
		t.Errorf("calls hung up: %v, want 1", v)
	}
	k.checkFiles(t, cs, true)

	c.press(t, "\x03")
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the kiosk did not stop 30s after Ctrl-C:\n%q", c.output())
	}
	out := c.output()
	if !strings.Contains(out, "webcall-exit=0") {
		t.Errorf("Ctrl-C typed on the terminal did not stop the kiosk with exit code 0:\n%q", out)
	}
	checkTerminalMode(t, out)
	noLibraryNoise(t, out)
}
