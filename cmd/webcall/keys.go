package main

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/webcall-cli/webcall/pkg/audio/device"
)

// The mute key. When a call talks through the microphone and stdin is a
// terminal, pressing m mutes or unmutes the microphone: the gate sends
// silence, the track stays published. The terminal is put in a mode where
// each key press is read at once and not echoed, while Ctrl-C still sends
// SIGINT (so it hangs up as always), and put back when the call ends.
//
// One goroutine, the key reader's (keys_unix.go), reads stdin. The call
// command starts it with startMuteKey and ends it with the returned stop
// function, which waits for it.

// muteKey turns what is read from the terminal into mute toggles.
type muteKey struct {
	gate *device.Gate
	// changed is told each new state; it runs on the key reader's
	// goroutine.
	changed func(muted bool)
}

// press handles one read from the terminal: each m (or M, for caps lock)
// toggles the microphone. A read that starts with ESC is a function key
// or an Alt combination (Alt-m arrives as ESC m), not a press of m, and is
// ignored whole.
func (k *muteKey) press(in []byte) {
	if len(in) > 0 && in[0] == 0x1b {
		return
	}
	for _, b := range in {
		if b != 'm' && b != 'M' {
			continue
		}
		muted := !k.gate.Muted()
		k.gate.SetMuted(muted)
		k.changed(muted)
	}
}

// startMuteKey starts the mute key when stdin is the terminal in front of
// the user and the call has a microphone (gate is not nil), announces it,
// and reports each toggle to status and to changed. It returns the
// function that stops the key reader and puts the terminal back; it may be
// called more than once. Without a terminal it does nothing.
func startMuteKey(s *streams, gate *device.Gate, status func(string), changed func(muted bool)) (stop func()) {
	f, ok := s.In.(*os.File)
	if gate == nil || !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	k := &muteKey{gate: gate, changed: func(muted bool) {
		if muted {
			status("microphone muted")
		} else {
			status("microphone on")
		}
		changed(muted)
	}}
	keys, err := listenKeys(int(f.Fd()), k.press)
	if err != nil {
		status(fmt.Sprintf("no mute key: %v", err))
		return func() {}
	}
	if keys == nil {
		// A background job: the terminal is not ours to read.
		return func() {}
	}
	s.terminal.set(keys.restore)
	if gate.Muted() {
		status("press m to unmute, Ctrl-C to hang up")
	} else {
		status("press m to mute, Ctrl-C to hang up")
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			keys.stop()
			keys.restore()
			s.terminal.set(nil)
		})
	}
}

// keyInput is a terminal being read key by key (listenKeys).
type keyInput struct {
	// stop ends the reading goroutine and waits for it.
	stop func()
	// restore puts the terminal's mode back; it may be called more than
	// once, from any goroutine.
	restore func()
}

// terminalHook holds what puts the terminal back while a command has
// changed its mode. The command restores the terminal itself when it
// ends; Main runs the hook when it exits at once on a second Ctrl-C, which
// skips the command's deferred calls.
type terminalHook struct {
	mu      sync.Mutex
	restore func()
}

func (h *terminalHook) set(restore func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.restore = restore
}

// run puts the terminal back, if it was changed.
func (h *terminalHook) run() {
	h.mu.Lock()
	restore := h.restore
	h.mu.Unlock()
	if restore != nil {
		restore()
	}
}
