package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/pkg/audio/device"
)

// typist is a keyboard under test, with what it did.
type typist struct {
	k       *keyboard
	gate    *device.Gate
	sent    []string
	shown   []string // every line shown, in order
	modes   []bool
	toggles []bool
	hangups int
}

func newTypist(textOnly, mic, canType bool) *typist {
	ty := &typist{}
	cfg := keysConfig{
		textOnly: textOnly,
		status:   func(string) {},
		muted:    func(m bool) { ty.toggles = append(ty.toggles, m) },
		show:     func(l string) error { ty.shown = append(ty.shown, l); return nil },
	}
	if mic {
		ty.gate = device.NewGate(nil, false)
		cfg.gate = ty.gate
	}
	chat := make(chan string, 64)
	if canType {
		cfg.chat = chat
	}
	done := make(chan struct{})
	ty.k = newKeyboard(cfg, done, func() { ty.hangups++ })
	ty.k.typing = textOnly && canType
	mode := ty.k.mode
	ty.k.mode = func(typing bool) { ty.modes = append(ty.modes, typing); mode(typing) }
	send := ty.k.send
	ty.k.send = func(line string) {
		send(line)
		ty.sent = append(ty.sent, <-chat)
	}
	return ty
}

func (ty *typist) press(reads ...string) {
	for _, r := range reads {
		ty.k.press([]byte(r))
	}
}

// shownNow is the line on show at the end.
func (ty *typist) shownNow() string {
	if len(ty.shown) == 0 {
		return ""
	}
	return ty.shown[len(ty.shown)-1]
}

// Typing a line: Ctrl-T enters text mode, keys build the line on show,
// Backspace, Ctrl-W and Ctrl-U edit it, Enter sends it, Esc or Ctrl-T go
// back to the microphone keys.
func TestTypedLines(t *testing.T) {
	tests := []struct {
		name      string
		reads     []string
		sent      []string
		shownNow  string
		typing    bool // in text mode at the end
		toggles   []bool
		hangups   int
		modesSeen []bool
	}{
		{name: "Ctrl-T, a line, Enter", reads: []string{"\x14", "h", "i", "\r"}, sent: []string{"hi"}, typing: true, modesSeen: []bool{true}},
		{name: "m types an m in text mode", reads: []string{"\x14", "mm", "\r"}, sent: []string{"mm"}, typing: true, modesSeen: []bool{true}},
		{name: "m mutes before Ctrl-T, not after", reads: []string{"m", "\x14m\r"}, sent: []string{"m"}, typing: true, toggles: []bool{true}, modesSeen: []bool{true}},
		{name: "Backspace (DEL and ^H)", reads: []string{"\x14", "abc", "\x7f", "\x08", "d\r"}, sent: []string{"ad"}, typing: true, modesSeen: []bool{true}},
		{name: "Backspace a whole character", reads: []string{"\x14", "caf\xc3\xa9", "\x7f", "e\r"}, sent: []string{"cafe"}, typing: true, modesSeen: []bool{true}},
		{name: "Backspace on an empty line", reads: []string{"\x14", "\x7f\x7f", "x\r"}, sent: []string{"x"}, typing: true, modesSeen: []bool{true}},
		{name: "Ctrl-W and Ctrl-U", reads: []string{"\x14", "one two ", "\x17", "three", "\r", "gone", "\x15", "\r"}, sent: []string{"one three"}, typing: true, modesSeen: []bool{true}},
		{name: "Enter on a blank line sends nothing", reads: []string{"\x14", "   ", "\r", "\n"}, typing: true, modesSeen: []bool{true}},
		{name: "a pasted block sends each line", reads: []string{"\x14", "first\r\nsecond\r\nthird"}, sent: []string{"first", "second"}, shownNow: "third", typing: true, modesSeen: []bool{true}},
		{name: "a character split across reads", reads: []string{"\x14", "\xc3", "\xa9\r"}, sent: []string{"é"}, typing: true, modesSeen: []bool{true}},
		{name: "Esc leaves and drops the line", reads: []string{"\x14", "draft", "\x1b", "m"}, toggles: []bool{true}, modesSeen: []bool{true, false}},
		{name: "Ctrl-T leaves too", reads: []string{"\x14", "draft\x14", "m"}, toggles: []bool{true}, modesSeen: []bool{true, false}},
		{name: "arrow keys are no text", reads: []string{"\x14", "a", "\x1b[A", "\x1b[1;5C", "b\x1bOPc\r"}, sent: []string{"abc"}, typing: true, modesSeen: []bool{true}},
		{name: "Alt-x is no text", reads: []string{"\x14", "\x1bx", "y\r"}, sent: []string{"y"}, typing: true, modesSeen: []bool{true}},
		{name: "other control keys are no text", reads: []string{"\x14", "a\x01\x02\tb\r"}, sent: []string{"ab"}, typing: true, modesSeen: []bool{true}},
		{name: "Ctrl-C hangs up while typing", reads: []string{"\x14", "half\x03more\r"}, typing: true, hangups: 1, shownNow: "half", modesSeen: []bool{true}},
		{name: "Ctrl-C hangs up in audio mode", reads: []string{"\x03m"}, hangups: 1},
		{name: "a long line is cut", reads: []string{"\x14", strings.Repeat("x", maxLineBytes+10), "\r"}, sent: []string{strings.Repeat("x", maxLineBytes)}, typing: true, modesSeen: []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ty := newTypist(false, true, true)
			ty.press(tt.reads...)
			if !slices.Equal(ty.sent, tt.sent) {
				t.Errorf("sent %q, want %q", ty.sent, tt.sent)
			}
			if got := ty.shownNow(); got != tt.shownNow {
				t.Errorf("showing %q, want %q", got, tt.shownNow)
			}
			if ty.k.typing != tt.typing {
				t.Errorf("typing = %v, want %v", ty.k.typing, tt.typing)
			}
			if !slices.Equal(ty.toggles, tt.toggles) {
				t.Errorf("mute toggles %v, want %v", ty.toggles, tt.toggles)
			}
			if ty.hangups != tt.hangups {
				t.Errorf("%d hang-ups, want %d", ty.hangups, tt.hangups)
			}
			if !slices.Equal(ty.modes, tt.modesSeen) {
				t.Errorf("modes %v, want %v", ty.modes, tt.modesSeen)
			}
		})
	}
}

// The line on show follows every edit, and is cleared when sent.
func TestTypedLineShown(t *testing.T) {
	ty := newTypist(false, true, true)
	ty.press("\x14", "h", "i", "\x7f", "o", "\r")
	want := []string{"", "h", "hi", "h", "ho", ""}
	if !slices.Equal(ty.shown, want) {
		t.Errorf("shown %q, want %q", ty.shown, want)
	}
}

// A text-only call is always in text mode: Esc and Ctrl-T do not leave
// it, and there is no microphone to mute.
func TestTextOnlyKeys(t *testing.T) {
	ty := newTypist(true, false, true)
	ty.press("m", "\x1b", "\x14", "y\r")
	if !slices.Equal(ty.sent, []string{"my"}) || !ty.k.typing || len(ty.modes) > 0 {
		t.Errorf("sent %q, typing %v, modes %v", ty.sent, ty.k.typing, ty.modes)
	}
}

// In a call that takes no typed lines, Ctrl-T does nothing and m still
// mutes.
func TestCtrlTWithoutTyping(t *testing.T) {
	ty := newTypist(false, true, false)
	ty.press("\x14", "m")
	if ty.k.typing || !slices.Equal(ty.toggles, []bool{true}) {
		t.Errorf("typing %v, toggles %v", ty.k.typing, ty.toggles)
	}
}

// Lines from stdin, as a text call without a terminal reads them: one
// message per line, blank lines skipped, a last line without a newline
// kept, and the channel closed at the end.
func TestChatLines(t *testing.T) {
	chat := make(chan string)
	stop := startChatLines(strings.NewReader("hello\n\n  a table for two  \r\nat eight"), chat)
	defer stop()
	var got []string
	for line := range chat {
		got = append(got, line)
	}
	if want := []string{"hello", "a table for two", "at eight"}; !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}
