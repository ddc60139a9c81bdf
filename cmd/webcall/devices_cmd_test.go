package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/internal/golden"
	"github.com/webcall-cli/webcall/pkg/audio/device"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// A machine with a sound card, a USB headset and PulseAudio.
var fakeDevices = []device.Info{
	{Index: 0, Name: "HDA Intel PCH: ALC257 Analog (hw:0,0)", HostAPI: "ALSA", InputChannels: 2, OutputChannels: 2, DefaultRate: 44100},
	{Index: 1, Name: "HDA Intel PCH: HDMI 0 (hw:0,3)", HostAPI: "ALSA", OutputChannels: 8, DefaultRate: 44100},
	{Index: 2, Name: "USB Headset: Audio (hw:1,0)", HostAPI: "ALSA", InputChannels: 1, OutputChannels: 2, DefaultRate: 48000},
	{Index: 3, Name: "pulse", HostAPI: "ALSA", InputChannels: 32, OutputChannels: 32, DefaultRate: 44100},
	{Index: 4, Name: "default", HostAPI: "ALSA", InputChannels: 32, OutputChannels: 32, DefaultRate: 44100, DefaultInput: true, DefaultOutput: true},
}

// runDevicesWith runs `webcall devices args` against a device list.
func runDevicesWith(t *testing.T, list func(context.Context, *slog.Logger) ([]device.Info, error), args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newDevicesCmd(&streams{Out: &out, ErrOut: &errOut}, func(ctx context.Context, o *devicesOptions) error {
		o.list = list
		return runDevices(ctx, o)
	})
	// Never nil: cobra would read the test binary's own arguments.
	cmd.SetArgs(append([]string{}, args...))
	cmd.SetOut(&errOut)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func listOf(devs []device.Info, err error) func(context.Context, *slog.Logger) ([]device.Info, error) {
	return func(context.Context, *slog.Logger) ([]device.Info, error) { return devs, err }
}

func TestDevicesCmdOutput(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"devices.txt", nil},
		{"devices.json", []string{"--json"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			out, errOut, err := runDevicesWith(t, listOf(fakeDevices, nil), tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if errOut != "" {
				t.Errorf("stderr = %q, want nothing", errOut)
			}
			golden.Assert(t, filepath.Join("testdata", tt.golden), out)
		})
	}
}

func TestDevicesCmdNoDevices(t *testing.T) {
	out, errOut, err := runDevicesWith(t, listOf(nil, nil))
	if err != nil || out != "" || !strings.Contains(errOut, "no audio devices found") || !strings.Contains(errOut, "--input FILE") {
		t.Errorf("no devices: err %v, stdout %q, stderr %q; want a message and a hint on stderr", err, out, errOut)
	}
	out, _, err = runDevicesWith(t, listOf(nil, nil), "--json")
	if err != nil || out != "[]\n" {
		t.Errorf("no devices, --json: err %v, stdout %q; want []", err, out)
	}
}

func TestDevicesCmdFailure(t *testing.T) {
	want := failure.New(failure.Device, "built without audio device support")
	_, _, err := runDevicesWith(t, listOf(nil, want))
	if !errors.Is(err, want) || exitCode(err) != exitDevice {
		t.Errorf("err = %v (exit %d), want the device error (exit %d)", err, exitCode(err), exitDevice)
	}
}
