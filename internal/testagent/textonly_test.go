package testagent_test

import (
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/testagent"
)

// A text-only session (audio output off) answers a chat message as LiveKit
// Agents do: no track, no audio, one lk.transcription stream with a
// segment id and no transcribed track, closed with a trailer that sets
// final; with ChatReplies the same text also comes back on lk.chat. The
// agent states that it heard no user track.
func TestTextOnlyChat(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	fl := newFactLog()
	startAgent(t, srv, testagent.Options{OnFact: fl.add, TextOnly: true, ChatReplies: true})
	c := join(t, srv, "text-only", "user", agentName(t))
	chats := make(chan string, 4)
	if err := c.lk.RegisterTextStreamHandler("lk.chat", func(r *lksdk.TextStreamReader, _ string) { chats <- r.ReadAll() }); err != nil {
		t.Fatal(err)
	}
	c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	c.lk.LocalParticipant.SendText("A table for two, please.", lksdk.StreamTextOptions{Topic: "lk.chat"})

	c.waitFor(callTimeout, "the text reply", func() bool {
		s := c.agentStreams()
		return len(s) == 1 && s[0].closed && c.lastState() == "listening"
	})
	var chatReply string
	select {
	case chatReply = <-chats:
	case <-time.After(callTimeout):
		t.Fatal("no reply on lk.chat")
	}
	all := fl.wait(t, callTimeout, "the reply's fact", hasKind(testagent.FactReplyText, 1))

	c.mu.Lock()
	defer c.mu.Unlock()
	rs := c.agentStreams()[0]
	if rs.text != replyText || chatReply != replyText {
		t.Errorf("reply %q on lk.transcription and %q on lk.chat, want %q", rs.text, chatReply, replyText)
	}
	if _, ok := rs.attrs["lk.transcribed_track_id"]; ok {
		t.Errorf("a text-only reply names a track: %v", rs.attrs)
	}
	if rs.attrs["lk.segment_id"] == "" || rs.attrs["lk.transcription_final"] != "true" {
		t.Errorf("reply stream attributes %v, want a segment id and final set by the trailer", rs.attrs)
	}
	if len(rs.reads) < 2 {
		t.Errorf("the reply came in %d reads, want it written word by word", len(rs.reads))
	}
	if n := len(c.audio); n > 0 || len(c.agent.TrackPublications()) > 0 {
		t.Errorf("a text-only agent published a track (%d audio reads)", n)
	}
	if len(c.legacy) > 0 {
		t.Errorf("%d legacy packets from an agent with no track", len(c.legacy))
	}
	if n := len(ofKind(all, testagent.FactUserTrack)); n > 0 {
		t.Errorf("the agent heard %d user tracks; the user published none", n)
	}
	if n := len(ofKind(all, testagent.FactReplyStarted)); n > 0 {
		t.Errorf("%d audible replies from a text-only agent", n)
	}
	if f := ofKind(all, testagent.FactReplyText)[0]; f.Latency < testagent.DefaultReplyDelay || f.Text != replyText {
		t.Errorf("reply fact %+v", f)
	}
}

// The agent states the user's microphone as it hears it.
func TestUserTrackFact(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	fl := newFactLog()
	startAgent(t, srv, testagent.Options{OnFact: fl.add})
	c := join(t, srv, "user-track", "user", agentName(t))
	c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	pub, _ := c.speak(livekit.TrackSource_MICROPHONE)
	all := fl.wait(t, callTimeout, "the user track fact", hasKind(testagent.FactUserTrack, 1))
	if f := ofKind(all, testagent.FactUserTrack)[0]; f.Text != pub.SID() {
		t.Errorf("fact names track %q, want %q", f.Text, pub.SID())
	}
}
