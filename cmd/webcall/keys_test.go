package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/pkg/audio/device"
)

// Each m toggles the microphone; function keys and Alt combinations, whose
// sequences start with ESC, do not.
func TestMuteKeyPress(t *testing.T) {
	tests := []struct {
		name  string
		muted bool     // to start with
		reads []string // what each read from the terminal returned
		want  []bool   // the states announced, in order
	}{
		{"m mutes", false, []string{"m"}, []bool{true}},
		{"m again unmutes", false, []string{"m", "m"}, []bool{true, false}},
		{"--muted: m unmutes", true, []string{"m"}, []bool{false}},
		{"caps lock", false, []string{"M"}, []bool{true}},
		{"two presses in one read", false, []string{"mm"}, []bool{true, false}},
		{"other keys", false, []string{"x", " ", "\n", "q"}, nil},
		{"other keys around m", false, []string{"xmy"}, []bool{true}},
		{"Alt-m", false, []string{"\x1bm"}, nil},
		{"arrow keys", false, []string{"\x1b[A", "\x1b[B"}, nil},
		{"function key, then m", false, []string{"\x1bOP", "m"}, []bool{true}},
		{"nothing read", false, []string{""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := device.NewGate(nil, tt.muted)
			var got []bool
			k := &muteKey{gate: gate, changed: func(muted bool) { got = append(got, muted) }}
			for _, r := range tt.reads {
				k.press([]byte(r))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("announced %v, want %v", got, tt.want)
			}
			final := tt.muted
			if len(tt.want) > 0 {
				final = tt.want[len(tt.want)-1]
			}
			if gate.Muted() != final {
				t.Errorf("gate muted = %v, want %v", gate.Muted(), final)
			}
		})
	}
}

// Without a terminal on stdin (a pipe, a file, tests), there are no keys:
// nothing is announced and the terminal hook stays empty.
func TestKeysNeedATerminal(t *testing.T) {
	var said []string
	s := &streams{In: strings.NewReader("m")}
	stop := startKeys(s, keysConfig{
		gate:   device.NewGate(nil, false),
		chat:   make(chan string),
		status: func(m string) { said = append(said, m) },
		muted:  func(bool) { t.Error("a toggle without a terminal") },
	})
	stop()
	stop()
	if len(said) != 0 {
		t.Errorf("status without a terminal: %q", said)
	}
	s.terminal.run() // nothing to restore, must not fail
}
