package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Device flags that cannot apply to the chosen input and output are
// usage errors, found before anything is opened or connected.
func TestDeviceFlagsUsage(t *testing.T) {
	hello := repoFile("audio", "hello.wav")
	env := map[string]string{"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_TOKEN": "x"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"input device with a file", []string{"--input", hello, "--input-device", "usb"}, "--input-device needs --input mic"},
		{"muted with a file", []string{"--input", hello, "--muted"}, "--muted needs --input mic"},
		{"half-duplex with a file", []string{"--input", hello, "--half-duplex"}, "--half-duplex needs --input mic and --output speaker"},
		{"half-duplex with an output file", []string{"--output", "out.wav", "--half-duplex"}, "--half-duplex needs"},
		{"output device with a file", []string{"--input", hello, "--output", "out.wav", "--output-device", "2"}, "--output-device needs --output speaker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runMain(t, env, append([]string{"call"}, tt.args...)...)
			if r.code != exitUsage {
				t.Fatalf("exit code %d, want %d\nstderr: %s", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, r.stderr)
			}
		})
	}
}

func TestUsesMicAndSpeaker(t *testing.T) {
	tests := []struct {
		value        string
		mic, speaker bool
	}{
		{"", true, true},
		{"mic", true, false},
		{"speaker", false, true},
		{"hello.wav", false, false},
	}
	for _, tt := range tests {
		if got := usesMic(tt.value); got != tt.mic {
			t.Errorf("usesMic(%q) = %v, want %v", tt.value, got, tt.mic)
		}
		if got := usesSpeaker(tt.value); got != tt.speaker {
			t.Errorf("usesSpeaker(%q) = %v, want %v", tt.value, got, tt.speaker)
		}
	}
}

func TestRestartedMessage(t *testing.T) {
	tests := []struct {
		silent time.Duration
		err    error
		want   string
	}{
		{1040 * time.Millisecond, nil, "audio: the sound device went quiet for 1s; restarted it"},
		{2 * time.Second, errors.New("Device unavailable"),
			"audio: the sound device went quiet for 2s and could not be restarted: Device unavailable"},
	}
	for _, tt := range tests {
		if got := restartedMessage(tt.silent, tt.err); got != tt.want {
			t.Errorf("restartedMessage(%s, %v) = %q, want %q", tt.silent, tt.err, got, tt.want)
		}
	}
}
