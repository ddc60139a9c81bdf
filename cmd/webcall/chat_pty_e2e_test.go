//go:build linux && !noportaudio

package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/event"
)

// Typing during a microphone call, on a real terminal: Ctrl-T switches to
// text, the keys typed (with a Backspace) make the message, Enter sends
// it and the agent answers it; Esc goes back, and m mutes again. Ctrl-C
// typed on the terminal still hangs up and the terminal's mode is put
// back.
func TestTypingOnATerminal(t *testing.T) {
	f := &facts{}
	e := startE2E(t, testagent.Options{Replies: chatReplies(), OnFact: f.add})
	s := pulse.Start(t)
	c := startPTYCall(t, e, s, "--format", "json")
	c.waitOutput(t, 0, regexp.MustCompile(`press m to mute, Ctrl-C to hang up, Ctrl-T to type a message`), 30*time.Second)
	c.waitEvent(t, "the agent", 20*time.Second, isType(event.AgentJoined))
	e.waitHearing(t)

	c.press(t, "\x14")
	c.waitOutput(t, 0, regexp.MustCompile(`typing: Enter sends the message`), 10*time.Second)
	c.press(t, "Do you have a table by the windoq")
	c.press(t, "\x7f")
	c.press(t, "w?\r")
	if ev := c.waitEvent(t, "the chat event", 10*time.Second, isType(event.Chat)); ev.Speaker != event.SpeakerUser || ev.Text != typedWindow {
		t.Errorf("chat event %+v, want the typed message", ev)
	}
	if ev := c.waitEvent(t, "the reply", 20*time.Second, isFinal(event.SpeakerAgent)); ev.Text != windowReply {
		t.Errorf("the agent answered %q, want %q", ev.Text, windowReply)
	}
	if got := f.ofKind(testagent.FactChat); len(got) != 1 || got[0].Text != typedWindow {
		t.Errorf("the agent received %+v", got)
	}

	c.press(t, "\x1b")
	c.waitOutput(t, 0, regexp.MustCompile(`back to the microphone`), 10*time.Second)
	c.press(t, "m")
	if ev := c.waitEvent(t, "a mute event", 10*time.Second, isType(event.Mute)); ev.State != event.MuteOn {
		t.Errorf("m after Esc: %+v, want muted", ev)
	}
	out := c.hangUp(t)
	checkHungUp(t, out)
	noLibraryNoise(t, out)
}

// A text-only call on a terminal is always in text mode: the line typed
// goes to the agent, its text reply is shown, and Ctrl-C hangs up. No
// audio device is opened.
func TestTextCallOnATerminal(t *testing.T) {
	e := startE2E(t, testagent.Options{Replies: chatReplies(), TextOnly: true})
	s := pulse.Start(t)
	c := startPTYCall(t, e, s, "--text", "--format", "json")
	c.waitOutput(t, 0, regexp.MustCompile(`type a message and press Enter to send it`), 30*time.Second)
	c.waitEvent(t, "the agent", 20*time.Second, isType(event.AgentJoined))
	c.press(t, "mute? no: "+typedEight+"\r")
	if ev := c.waitEvent(t, "the chat event", 10*time.Second, isType(event.Chat)); ev.Text != "mute? no: "+typedEight {
		t.Errorf("chat event %+v", ev)
	}
	if ev := c.waitEvent(t, "the reply", 20*time.Second, isFinal(event.SpeakerAgent)); ev.Text != eightReply {
		t.Errorf("the agent answered %q, want %q", ev.Text, eightReply)
	}
	out := c.hangUp(t)
	checkHungUp(t, out)
	if strings.Contains(out, "audio: ") {
		t.Errorf("a text call opened an audio device:\n%q", out)
	}
}
