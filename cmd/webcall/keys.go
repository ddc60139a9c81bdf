package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/webcall-cli/webcall/pkg/audio/device"
)

// The keys of a call on a terminal. The terminal is put in a mode where
// each key press is read at once and not echoed, while Ctrl-C still sends
// SIGINT (so it hangs up as always), and put back when the call ends.
//
// Two modes, as in LiveKit Agents' console (Ctrl-T toggles between audio
// and text input):
//   - audio (a call through the microphone): m (or M) mutes or unmutes
//     the microphone; the gate sends silence, the track stays published.
//     Ctrl-T switches to text.
//   - text: printable keys build a line, shown through the renderer's
//     input row (inputShower); Backspace deletes a character, Ctrl-W a
//     word, Ctrl-U the line; Enter sends it to the agent as a chat
//     message; Esc or Ctrl-T go back to audio, dropping an unsent line.
//     A text-only call (--text) is always in text mode.
//
// One goroutine, the key reader's (keys_unix.go), reads stdin and runs
// the keyboard. The call command starts it with startKeys and ends it with
// the returned stop function, which waits for it. Lines typed go to the
// call through a channel (call.Options.Chat), so that sending stays on the
// call's goroutine.

// Control keys, as the terminal sends them.
const (
	keyCtrlC     = 0x03
	keyBackspace = 0x08 // Ctrl-H
	keyEnter     = '\r'
	keyNewline   = '\n'
	keyCtrlT     = 0x14
	keyCtrlU     = 0x15
	keyCtrlW     = 0x17
	keyEsc       = 0x1b
	keyDelete    = 0x7f // what Backspace sends on most terminals
)

// maxLineBytes bounds a typed line: a chat message, not a document.
const maxLineBytes = 4096

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
	if len(in) > 0 && in[0] == keyEsc {
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

// keyboard is the keys of one call (see the top of this file). Its
// methods run on the key reader's goroutine only.
type keyboard struct {
	// mute is nil in a call without a microphone.
	mute *muteKey
	// textOnly: always in text mode (--text).
	textOnly bool
	// canType: this call takes typed lines; without, Ctrl-T does nothing.
	canType bool
	// typing: in text mode.
	typing bool
	line   []byte
	// pending is the start of a character split between two reads.
	pending []byte

	// send takes a finished line; show the line being typed ("" when
	// none); mode is told each change of mode; hangup hangs up.
	send   func(line string)
	show   func(line string)
	mode   func(typing bool)
	hangup func()
}

// press handles one read from the terminal. A read that starts with ESC
// and holds more is a function key or an Alt combination, ignored whole;
// a lone ESC is the Esc key.
func (k *keyboard) press(in []byte) {
	if len(in) > 1 && in[0] == keyEsc {
		return
	}
	for len(in) > 0 {
		if !k.typing {
			in = k.audioKeys(in)
			continue
		}
		in = k.textKeys(in)
	}
}

// audioKeys handles in up to a Ctrl-T, which switches to text, and
// returns what follows it.
func (k *keyboard) audioKeys(in []byte) []byte {
	head, rest, toggled := bytes.Cut(in, []byte{keyCtrlT})
	if bytes.IndexByte(head, keyCtrlC) >= 0 {
		k.hangup()
		return nil
	}
	if k.mute != nil {
		k.mute.press(head)
	}
	if !toggled {
		return nil
	}
	if k.canType {
		k.setTyping(true)
	}
	return rest
}

// textKeys edits the line with in, up to a key that leaves text mode, and
// returns what follows that key.
func (k *keyboard) textKeys(in []byte) []byte {
	data := append(k.pending, in...)
	k.pending = nil
	changed := false
	defer func() {
		if changed && k.typing {
			k.show(string(k.line))
		}
	}()
	for i := 0; i < len(data); {
		b := data[i]
		switch b {
		case keyCtrlC:
			k.hangup()
			return nil
		case keyEnter, keyNewline:
			if line := strings.TrimSpace(string(k.line)); line != "" {
				k.send(line)
			}
			changed = changed || len(k.line) > 0
			k.line = k.line[:0]
			i++
		case keyDelete, keyBackspace:
			if len(k.line) > 0 {
				_, size := utf8.DecodeLastRune(k.line)
				k.line = k.line[:len(k.line)-size]
				changed = true
			}
			i++
		case keyCtrlU:
			changed = changed || len(k.line) > 0
			k.line = k.line[:0]
			i++
		case keyCtrlW:
			trimmed := bytes.TrimRight(k.line, " ")
			cut := bytes.LastIndexByte(trimmed, ' ') + 1
			changed = changed || cut < len(k.line)
			k.line = k.line[:cut]
			i++
		case keyCtrlT:
			i++
			if !k.textOnly {
				k.setTyping(false)
				return data[i:]
			}
		case keyEsc:
			if i+1 == len(data) {
				// The Esc key itself.
				i++
				if !k.textOnly {
					k.setTyping(false)
					return nil
				}
				continue
			}
			i += escapeLength(data[i:])
		default:
			if !utf8.FullRune(data[i:]) {
				k.pending = append([]byte(nil), data[i:]...)
				return nil
			}
			r, size := utf8.DecodeRune(data[i:])
			if r != utf8.RuneError && unicode.IsPrint(r) && len(k.line)+size <= maxLineBytes {
				k.line = append(k.line, data[i:i+size]...)
				changed = true
			}
			i += size
		}
	}
	return nil
}

// escapeLength is how many bytes of the sequence at the start of b (which
// starts with ESC) belong to it: CSI (ESC [ ... final) and SS3 (ESC O x)
// sequences whole, any other ESC x as two.
func escapeLength(b []byte) int {
	if len(b) < 2 {
		return len(b)
	}
	switch b[1] {
	case '[':
		for j := 2; j < len(b); j++ {
			if b[j] >= 0x40 && b[j] <= 0x7e {
				return j + 1
			}
		}
		return len(b)
	case 'O':
		return min(3, len(b))
	}
	return 2
}

func (k *keyboard) setTyping(typing bool) {
	if k.typing == typing {
		return
	}
	k.typing = typing
	k.line, k.pending = k.line[:0], nil
	k.show("")
	k.mode(typing)
}

// inputShower is a renderer with a row for the line being typed: the
// terminal renderer.
type inputShower interface {
	SetInput(text string) error
}

// keysConfig is what startKeys needs from the call command.
type keysConfig struct {
	// gate is the microphone's, nil without one.
	gate *device.Gate
	// textOnly: a text-only call (--text).
	textOnly bool
	// chat receives the lines typed; nil: no typing. startKeys never
	// closes it: the terminal stays open until the call ends.
	chat chan<- string
	// show draws the line being typed; nil when the renderer cannot.
	show func(string) error
	// status tells the user of changes; muted reports each mute toggle.
	status func(string)
	muted  func(bool)
}

// startKeys starts the keys of a call when stdin is the terminal in front
// of the user and the call has a microphone or takes typed lines, announces
// them, and returns the function that stops the key reader and puts the
// terminal back; it may be called more than once. Without a terminal it
// does nothing.
func startKeys(s *streams, cfg keysConfig) (stop func()) {
	f, ok := s.In.(*os.File)
	if (cfg.gate == nil && cfg.chat == nil) || !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	done := make(chan struct{})
	k := newKeyboard(cfg, done, hangUp)
	keys, err := listenKeys(int(f.Fd()), k.press)
	if err != nil {
		cfg.status(fmt.Sprintf("no keys: %v", err))
		return func() {}
	}
	if keys == nil {
		// A background job: the terminal is not ours to read.
		return func() {}
	}
	s.terminal.set(keys.restore)
	switch {
	case cfg.textOnly:
		k.typing = k.canType
		cfg.status("type a message and press Enter to send it; Ctrl-C hangs up")
	case cfg.chat == nil && cfg.gate.Muted():
		cfg.status("press m to unmute, Ctrl-C to hang up")
	case cfg.chat == nil:
		cfg.status("press m to mute, Ctrl-C to hang up")
	case cfg.gate.Muted():
		cfg.status("press m to unmute, Ctrl-C to hang up, Ctrl-T to type a message")
	default:
		cfg.status("press m to mute, Ctrl-C to hang up, Ctrl-T to type a message")
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done) // a line being handed over is dropped
			keys.stop()
			keys.restore()
			s.terminal.set(nil)
		})
	}
}

// newKeyboard builds the keyboard of cfg; lines typed after done are
// dropped, and hangup hangs up.
func newKeyboard(cfg keysConfig, done <-chan struct{}, hangup func()) *keyboard {
	k := &keyboard{textOnly: cfg.textOnly, canType: cfg.chat != nil, hangup: hangup}
	if cfg.gate != nil {
		k.mute = &muteKey{gate: cfg.gate, changed: func(muted bool) {
			if muted {
				cfg.status("microphone muted")
			} else {
				cfg.status("microphone on")
			}
			cfg.muted(muted)
		}}
	}
	k.show = func(line string) {
		if cfg.show != nil {
			_ = cfg.show(line)
		}
	}
	k.send = func(line string) {
		select {
		case cfg.chat <- line:
		case <-done:
		}
	}
	k.mode = func(typing bool) {
		if typing {
			cfg.status("typing: Enter sends the message, Esc or Ctrl-T goes back to the m key")
		} else {
			cfg.status("back to the microphone: m mutes, Ctrl-T types a message")
		}
	}
	return k
}

// hangUp hangs up as Ctrl-C does, through the one signal handler: it only
// runs when the terminal delivers Ctrl-C as a key instead of a signal.
func hangUp() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Signal(os.Interrupt)
	}
}

// Chat lines from stdin: a text-only call without a terminal (--text with
// stdin a pipe or a file) sends each line of stdin as a chat message, and
// its end ends the chat (call.Options.Chat is closed). One goroutine reads
// stdin: keys_unix.go's poll-based reader for a file, which stop can end
// while nothing comes; a plain reading goroutine for any other reader
// (tests' buffers), which ends at its end.

// lineSplitter cuts what is read into lines.
type lineSplitter struct {
	buf  []byte
	send func(line string)
}

func (l *lineSplitter) write(b []byte) {
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.emit(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > maxLineBytes {
		// A line this long is no chat message: it goes out in pieces.
		l.emit(l.buf)
		l.buf = nil
	}
}

// flush sends a last line that had no newline.
func (l *lineSplitter) flush() {
	l.emit(l.buf)
	l.buf = nil
}

func (l *lineSplitter) emit(b []byte) {
	if line := strings.TrimSpace(string(bytes.ToValidUTF8(b, nil))); line != "" {
		l.send(line)
	}
}

// startChatLines reads in, one chat message per line, into chat, and
// closes chat when in ends. stop ends the reading (lines not yet taken
// are dropped) and waits for it; it may be called more than once.
func startChatLines(in io.Reader, chat chan<- string) (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	lines := &lineSplitter{send: func(line string) {
		select {
		case chat <- line:
		case <-done:
		}
	}}
	finish := func() {
		lines.flush()
		close(chat)
		close(ended)
	}
	var stopReader func()
	if f, ok := in.(*os.File); ok {
		if r, rdone, err := pollInput(int(f.Fd()), lines.write); err == nil {
			stopReader = r
			go func() {
				<-rdone
				finish()
			}()
		}
	}
	if stopReader == nil {
		stopReader = func() {}
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := in.Read(buf)
				lines.write(buf[:n])
				if err != nil {
					break
				}
			}
			finish()
		}()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			stopReader()
			<-ended
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
