package device

import (
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
)

var testDevices = []Info{
	{Index: 0, Name: "HDA Intel PCH: ALC257 Analog (hw:0,0)", HostAPI: "ALSA", InputChannels: 2, OutputChannels: 2, DefaultRate: 44100},
	{Index: 1, Name: "HDA Intel PCH: HDMI 0 (hw:0,3)", HostAPI: "ALSA", OutputChannels: 8, DefaultRate: 44100},
	{Index: 2, Name: "USB Headset: Audio (hw:1,0)", HostAPI: "ALSA", InputChannels: 1, OutputChannels: 2, DefaultRate: 48000},
	{Index: 3, Name: "pulse", HostAPI: "ALSA", InputChannels: 32, OutputChannels: 32, DefaultRate: 44100},
	{Index: 4, Name: "default", HostAPI: "ALSA", InputChannels: 32, OutputChannels: 32, DefaultRate: 44100, DefaultInput: true, DefaultOutput: true},
}

func TestFind(t *testing.T) {
	tests := []struct {
		name    string
		devs    []Info
		spec    string
		dir     Direction
		want    int      // index, when no error
		wantErr []string // parts of the message
	}{
		{name: "default input", spec: "", dir: Input, want: 4},
		{name: "default output", spec: "  ", dir: Output, want: 4},
		{name: "index", spec: "2", dir: Input, want: 2},
		{name: "index output only", spec: "1", dir: Output, want: 1},
		{name: "substring any case", spec: "usb HEADSET", dir: Input, want: 2},
		{name: "exact name beats substrings", spec: "Pulse", dir: Output, want: 3},
		{name: "substring output", spec: "hdmi", dir: Output, want: 1},
		{name: "index without inputs", spec: "1", dir: Input,
			wantErr: []string{`audio device 1 "HDA Intel PCH: HDMI 0 (hw:0,3)" has no inputs`, `2 "USB Headset: Audio (hw:1,0)"`}},
		{name: "no such index", spec: "9", dir: Output, wantErr: []string{"there is no audio device 9", `3 "pulse"`}},
		{name: "no match", spec: "bluetooth", dir: Input,
			wantErr: []string{`no audio input device matches "bluetooth"`, `0 "HDA Intel PCH: ALC257 Analog (hw:0,0)"`}},
		{name: "no match lists only inputs", spec: "hdmi", dir: Input, wantErr: []string{`no audio input device matches "hdmi"`}},
		{name: "ambiguous", spec: "hda intel", dir: Output,
			wantErr: []string{`"hda intel" matches 2 audio output devices`, "(hw:0,0)", "(hw:0,3)"}},
		{name: "no devices", devs: []Info{}, spec: "", dir: Input, wantErr: []string{"no audio input devices found"}},
		{name: "only device, not marked default", devs: testDevices[2:3:3], spec: "", dir: Input, want: 2},
		{name: "no default", devs: testDevices[:3], spec: "", dir: Output,
			wantErr: []string{"there is no default audio output device", `1 "HDA Intel PCH: HDMI 0 (hw:0,3)"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			devs := tt.devs
			if devs == nil {
				devs = testDevices
			}
			got, err := Find(devs, tt.spec, tt.dir)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Find(%q) failed: %v", tt.spec, err)
				}
				if got.Index != tt.want {
					t.Fatalf("Find(%q) = %v, want device %d", tt.spec, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Find(%q) = %v, want an error", tt.spec, got)
			}
			if failure.KindOf(err) != failure.Device || failure.HintOf(err) == "" {
				t.Errorf("error %v: kind %s, hint %q; want a device error with a hint", err, failure.KindOf(err), failure.HintOf(err))
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
