//go:build !noportaudio

package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
)

// TestCompleteDeviceNames: the device flags complete the names the real
// PortAudio lists, with none of the audio libraries' noise; without a
// sound server, nothing, and still no file names. (The virtual devices
// all have both directions; TestDeviceNamesByDirection checks the
// filter.)
func TestCompleteDeviceNames(t *testing.T) {
	s := pulse.Start(t)
	env := pulseEnv(s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	values := func(r result) []string {
		var out []string
		for line := range strings.Lines(r.stdout) {
			if v, _, _ := strings.Cut(strings.TrimRight(line, "\n"), "\t"); v != "" && !strings.HasPrefix(v, ":") && !strings.HasPrefix(v, "_activeHelp_") {
				out = append(out, v)
			}
		}
		return out
	}

	in := runBin(t, ctx, env, "__complete", "call", "--input-device", "")
	noLibraryNoise(t, in.stderr)
	got := values(in)
	if in.code != 0 || !slices.Contains(got, pulse.ALSAMic) || !slices.Contains(got, "default") || !strings.Contains(in.stdout, "input channels") || !strings.HasSuffix(in.stdout, "\n:4\n") {
		t.Errorf("--input-device: exit %d, %q; want %s and default with their input channels, no files\n%s", in.code, got, pulse.ALSAMic, in.stdout)
	}
	out := runBin(t, ctx, env, "__complete", "call", "--output-device", "webcall_")
	got = values(out)
	if out.code != 0 || !slices.Equal(got, []string{pulse.ALSAMic, pulse.ALSASpeaker}) {
		t.Errorf("--output-device webcall_: exit %d, %q; want the two devices named so\n%s", out.code, got, out.stdout)
	}
	if !strings.Contains(out.stdout, "output channels") {
		t.Errorf("--output-device: no description with the device's index and channels:\n%s", out.stdout)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	gone := runBin(t, ctx, env, "__complete", "call", "--input-device", "")
	noLibraryNoise(t, gone.stderr)
	if gone.code != 0 || slices.Contains(values(gone), pulse.ALSAMic) || !strings.HasSuffix(strings.TrimSpace(gone.stdout), ":4") {
		t.Errorf("without a sound server: exit %d, %q; want no devices and no files", gone.code, gone.stdout)
	}
}
