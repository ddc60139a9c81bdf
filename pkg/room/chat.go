package room

import (
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	lksdk "github.com/livekit/server-sdk-go/v2"
)

// Chat: lk.chat text streams from others in the room become ChatReceived
// events, one per stream, with the whole message. LiveKit Agents 1.x read
// lk.chat as the user's text input and answer on lk.transcription, not
// here; this is for agents (and people) that do send chat messages.

// MaxChatBytes bounds one received chat message: the rest of a longer
// stream is read and dropped, so a runaway sender cannot fill memory.
const MaxChatBytes = 64 << 10

// onChatStream runs on its own goroutine (the SDK starts one per stream):
// it reads the message to its end, which may take as long as the sender
// keeps the stream open, without holding up anything else.
func (r *Room) onChatStream(reader *lksdk.TextStreamReader, sender string) {
	if sender == r.sdk.LocalParticipant.Identity() {
		return
	}
	text, truncated, err := readChat(reader, MaxChatBytes)
	if err != nil && !errors.Is(err, io.EOF) {
		// The room is closing, or the stream broke off: what arrived is
		// still what was said, but an empty message is nothing.
		if text == "" {
			return
		}
	}
	if truncated {
		r.queue.push(Warning{Message: "a chat message from " + sender + " was longer than 64 KiB; the rest was dropped"})
	}
	r.queue.push(ChatReceived{Identity: sender, Agent: r.senderIsAgent(sender), Text: text})
}

// senderIsAgent says whether identity is an agent participant in the room.
func (r *Room) senderIsAgent(identity string) bool {
	for _, rp := range r.sdk.GetRemoteParticipants() {
		if rp.Identity() == identity {
			return isAgent(rp)
		}
	}
	return false
}

// readChat reads rd to its end and returns at most limit bytes of it,
// cut at a character boundary, and whether more than that came. The
// error is what ended the stream: io.EOF when it was complete.
func readChat(rd io.Reader, limit int) (text string, truncated bool, err error) {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, rerr := rd.Read(buf)
		if n > 0 {
			room := limit - b.Len()
			switch {
			case room <= 0:
				truncated = true
			case n > room:
				truncated = true
				b.Write(buf[:room])
			default:
				b.Write(buf[:n])
			}
		}
		if rerr != nil {
			s := b.String()
			if truncated {
				// Drop a character the cut split in two.
				for len(s) > 0 && !utf8.ValidString(s[max(0, len(s)-utf8.UTFMax):]) {
					s = s[:len(s)-1]
				}
			}
			return s, truncated, rerr
		}
	}
}
