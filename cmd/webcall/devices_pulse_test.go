//go:build !noportaudio

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/pkg/audio/device"
)

// pulseEnv returns the environment that points webcall at s's virtual
// devices, as runBin takes it.
func pulseEnv(s *pulse.Server) map[string]string {
	env := map[string]string{}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// noLibraryNoise fails if ALSA, JACK or PortAudio messages reached stderr.
func noLibraryNoise(t *testing.T, stderr string) {
	t.Helper()
	// With -v, webcall passes on what the libraries print as debug lines
	// of its own: those are asked for.
	var kept []string
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, `msg="audio library: `) {
			kept = append(kept, line)
		}
	}
	unasked := strings.Join(kept, "\n")
	for _, s := range []string{"ALSA lib", "jack", "Jack", "Expression '"} {
		if strings.Contains(unasked, s) {
			t.Errorf("audio library output reached stderr (%q):\n%s", s, stderr)
		}
	}
}

func TestDevicesListsVirtualDevices(t *testing.T) {
	s := pulse.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	r := runBin(t, ctx, pulseEnv(s), "devices")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	noLibraryNoise(t, r.stderr)
	for _, want := range []string{"INDEX", pulse.ALSAMic, pulse.ALSASpeaker, "input, output"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not list %q:\n%s", want, r.stdout)
		}
	}

	r = runBin(t, ctx, pulseEnv(s), "devices", "--json")
	if r.code != 0 {
		t.Fatalf("--json: exit %d\nstderr: %s", r.code, r.stderr)
	}
	var devs []device.Info
	if err := json.Unmarshal([]byte(r.stdout), &devs); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, r.stdout)
	}
	found := map[string]device.Info{}
	for _, d := range devs {
		found[d.Name] = d
	}
	if d, ok := found[pulse.ALSAMic]; !ok || d.HostAPI != "ALSA" || d.InputChannels == 0 {
		t.Errorf("--json: %s = %+v, want an ALSA device with inputs", pulse.ALSAMic, d)
	}
	if d := found["default"]; !d.DefaultInput || !d.DefaultOutput {
		t.Errorf("--json: default = %+v, want it marked as the default input and output", d)
	}
}

// With the sound server gone (and no sound card, as in CI), the listing
// says so and how to call without devices; the libraries' complaints stay
// off the terminal unless -v asks for them.
func TestDevicesWithoutSoundServer(t *testing.T) {
	s := pulse.Start(t)
	env := pulseEnv(s)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := runBin(t, ctx, env, "devices")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no audio devices found") || !strings.Contains(r.stderr, "--input FILE") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 and the message with a hint on stderr", r.code, r.stdout, r.stderr)
	}
	noLibraryNoise(t, r.stderr)

	r = runBin(t, ctx, env, "devices", "-v")
	if !strings.Contains(r.stderr, "audio library:") {
		t.Errorf("-v does not show what the audio libraries printed:\n%s", r.stderr)
	}
}
