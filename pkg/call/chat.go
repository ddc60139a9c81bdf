package call

import (
	"fmt"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// Text chat. The user's messages (typed lines from Options.Chat, or the
// Chat turns of a script) go to the agent on lk.chat, which LiveKit Agents
// take as the user's turn: they interrupt the agent and answer as they
// answer speech, on lk.transcription (with audio unless the agent's audio
// output is off). Chat messages the agent sends on lk.chat are shown too,
// though LiveKit Agents 1.x send none. Every message, both ways, is an
// event.Chat and a Result.Chat entry.
//
// Everything here runs on Run's goroutine, called from the loop.

// ReasonChatDone ends a text call whose typed lines ran out.
const ReasonChatDone = "the chat input ended and the agent's reply is over"

// chatState is the live chat input of a call (Options.Chat).
type chatState struct {
	// in is Options.Chat until it is closed, then nil.
	in <-chan string
	// ended: in was closed.
	ended bool
	// queued are lines typed before the agent was there to read them.
	queued []string
	// waiting is the reply to the last line sent, in a text call that
	// ends when the lines run out.
	waiting *turnRun
}

// typed takes one line from Options.Chat: sent at once when the agent is
// ready to read it (and, with ChatTurns, has answered the line before),
// else queued until it is.
func (c *call) typed(rm Room, line string, ok bool) {
	if !ok {
		c.chat.in, c.chat.ended = nil, true
		return
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	c.chat.queued = append(c.chat.queued, line)
	c.flushChat(c.now(), rm)
}

// flushChat sends the queued lines once the agent can read them: agents
// register for lk.chat as their session starts, so a message sent before
// the agent has settled in would be lost.
func (c *call) flushChat(now time.Time, rm Room) {
	if len(c.chat.queued) == 0 || !c.agentReadsChat(now) {
		return
	}
	for len(c.chat.queued) > 0 {
		if w := c.chat.waiting; c.o.ChatTurns && w != nil && !w.over {
			if c.judgeReplyOver(now, w); !w.over {
				return
			}
		}
		line := c.chat.queued[0]
		c.chat.queued = c.chat.queued[1:]
		c.sendChat(now, rm, line)
		c.chat.waiting = &turnRun{turn: Turn{Chat: line}, started: true, sent: true, start: now, speechStart: now, speechEnd: now}
	}
}

// agentReadsChat says whether the agent has started its session: it shows
// a state past initializing, or has been in the room for Settle.
func (c *call) agentReadsChat(now time.Time) bool {
	if !c.agent.present {
		return false
	}
	switch c.agent.state {
	case "", "initializing":
		return c.waited(c.agent.joinedAt, now) >= c.timing.Settle
	}
	return true
}

// chatDone says whether a text call fed by Options.Chat is over: the
// lines have ended, and the reply to the last one (if any) is over.
func (c *call) chatDone(now time.Time) bool {
	if !c.o.Text || c.plan != nil || !c.chat.ended || len(c.chat.queued) > 0 {
		return false
	}
	if w := c.chat.waiting; w != nil && !w.over {
		c.judgeReplyOver(now, w)
		return w.over
	}
	return true
}

// sendChat sends the user's message and records it.
func (c *call) sendChat(now time.Time, rm Room, text string) {
	if err := rm.SendChat(text); err != nil {
		c.o.Status(fmt.Sprintf("the chat message was not sent: %v", err))
		return
	}
	c.recordChat(now, transcript.SpeakerUser, rm.Identity(), text)
}

// chatReceived records a message that came on lk.chat. Only an agent's
// counts as the other side of the conversation; anyone else's is told in
// the status line.
func (c *call) chatReceived(now time.Time, e room.ChatReceived) {
	if !e.Agent {
		c.o.Status(fmt.Sprintf("chat message from %s (not the agent): %s", e.Identity, e.Text))
		return
	}
	c.agent.lastText = now
	c.recordChat(now, transcript.SpeakerAgent, e.Identity, e.Text)
}

func (c *call) recordChat(now time.Time, speaker transcript.Speaker, identity, text string) {
	c.result.Chat = append(c.result.Chat, ChatMessage{At: c.since(now), Speaker: speaker, Identity: identity, Text: text})
	c.emit(event.Event{Type: event.Chat, TimeMS: c.ms(now), Speaker: string(speaker), Identity: identity, Text: text})
}

// textReplyOver judges a reply the agent gave in text only (a text-only
// agent, or a call that takes no audio): none of its audio arrived after
// since, but its captions or chat did. seen says such text came; over
// that it has stopped for ReplyIdle, or for 2 ReplyIdle while a caption
// stream is still open (agents may leave the last one open).
func (c *call) textReplyOver(now, since time.Time) (seen, over bool) {
	last := c.agent.lastText
	if last.IsZero() || last.Before(since) {
		return false, false
	}
	idle := c.waited(last, now)
	if idle < c.timing.ReplyIdle || (len(c.agent.openStreams) > 0 && idle < 2*c.timing.ReplyIdle) {
		return true, false
	}
	return true, true
}
