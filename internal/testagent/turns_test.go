package testagent_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
)

const windowReply = "Yes, we have a table by the window."

// Each utterance gets the reply whose When it contains, wherever that
// reply is in the script; others get the replies without a When in turn.
func TestScriptedReplies(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	a := startAgent(t, srv, testagent.Options{
		Heard: []string{heardHello, heardQuestion},
		Replies: []testagent.Reply{
			{WAV: testdata("question.wav"), Text: windowReply, When: "WINDOW"},
			{WAV: testdata("reply.wav"), Text: replyText},
		},
	})
	c := join(t, srv, "scripted", "user", agentName(t))
	c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	m := c.liveMic()
	<-a.Hearing()

	// One turn at a time, each after the last reply: this is about what
	// is answered, not about talking over the agent.
	for i, clip := range []string{"hello.wav", "question.wav"} {
		m.say(loadClip(t, clip))
		c.waitFor(callTimeout, "reply "+clip, func() bool {
			s := c.agentStreams()
			return len(s) == i+1 && s[i].closed && c.lastState() == "listening"
		})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.agentStreams()
	if s[0].timestamp > s[1].timestamp {
		s[0], s[1] = s[1], s[0]
	}
	if s[0].text != replyText || s[1].text != windowReply {
		t.Errorf("replies %q, %q; want %q (no When matches %q), then %q (When WINDOW)\n%s",
			s[0].text, s[1].text, replyText, heardHello, windowReply, c.dump())
	}
}

// A chat message on lk.chat is a turn: no user caption (it was typed),
// thinking, then a spoken reply with its caption, chosen by the message.
func TestChat(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	fl := newFactLog()
	const typed = "Do you have a table by the WINDOW, please?"
	a := startAgent(t, srv, testagent.Options{
		OnFact: fl.add,
		Replies: []testagent.Reply{
			{WAV: testdata("reply.wav"), Text: replyText},
			{WAV: testdata("question.wav"), Text: windowReply, When: "window"},
		},
	})
	c := join(t, srv, "chat", "user", agentName(t))
	c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	// A silent microphone: once the agent hears it, its connection
	// carries data too.
	c.speak(livekit.TrackSource_MICROPHONE)
	<-a.Hearing()
	sent := time.Now()
	c.lk.LocalParticipant.SendText(typed, lksdk.StreamTextOptions{Topic: "lk.chat"})

	c.waitFor(callTimeout, "the reply to the chat", func() bool {
		s := c.agentStreams()
		return len(s) == 1 && s[0].closed && c.lastState() == "listening"
	})
	all := fl.wait(t, callTimeout, "the reply's end", hasKind(testagent.FactReplyStopped, 1))

	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.agentStreams()[0].text; got != windowReply {
		t.Errorf("reply to the chat %q, want %q", got, windowReply)
	}
	if n := len(c.userStreams()); n > 0 {
		t.Errorf("%d user captions for a typed message, want none:\n%s", n, c.dump())
	}
	if names := stateNames(c.stateChanges()); strings.Join(names, ",") != "thinking,speaking,listening" {
		t.Errorf("states %v, want thinking, speaking, listening", names)
	}
	var speech int
	for _, a := range c.audio {
		if a.speech {
			speech += a.samples
		}
	}
	if speech == 0 {
		t.Errorf("no speech audio in the reply to the chat")
	}

	chats := ofKind(all, testagent.FactChat)
	if len(chats) != 1 || chats[0].Text != typed || chats[0].At.Before(sent) {
		t.Errorf("chat facts %+v, want one with %q after it was sent", chats, typed)
	}
	started := ofKind(all, testagent.FactReplyStarted)[0]
	if !started.LastVoicedAt.IsZero() {
		t.Errorf("the reply to a chat has a last voiced frame %s", started.LastVoicedAt)
	}
	if want := started.At.Sub(chats[0].At); started.Latency != want || started.Latency < testagent.DefaultReplyDelay {
		t.Errorf("chat reply latency %s, want first audible - chat arrival = %s, at least the reply delay", started.Latency, want)
	}
	if n := len(ofKind(all, testagent.FactSpeechStarted)); n > 0 {
		t.Errorf("%d utterances heard in silence", n)
	}
}

// A chat message sent while the agent speaks interrupts it at once, as
// LiveKit Agents' text input does, and is answered.
func TestChatInterrupts(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	fl := newFactLog()
	const typed = "A table by the window?"
	a := startAgent(t, srv, testagent.Options{
		OnFact: fl.add,
		Replies: []testagent.Reply{
			{WAV: testdata("reply.wav"), Text: replyText},
			{WAV: testdata("question.wav"), Text: windowReply, When: "window"},
		},
	})
	c := join(t, srv, "chat-barge-in", "user", agentName(t))
	c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	m := c.liveMic()
	<-a.Hearing()
	m.say(loadClip(t, "hello.wav"))
	c.waitFor(callTimeout, "the reply's first words", func() bool {
		s := c.agentStreams()
		return len(s) == 1 && len(s[0].reads) >= 2
	})
	sent := time.Now()
	c.lk.LocalParticipant.SendText(typed, lksdk.StreamTextOptions{Topic: "lk.chat"})
	c.waitFor(callTimeout, "the answer to the chat", func() bool {
		s := c.agentStreams()
		return len(s) == 2 && s[0].closed && s[1].closed && c.lastState() == "listening"
	})
	all := fl.wait(t, callTimeout, "both replies' ends", hasKind(testagent.FactReplyStopped, 2))

	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.agentStreams()
	if s[0].timestamp > s[1].timestamp {
		s[0], s[1] = s[1], s[0]
	}
	if cut := s[0].text; cut == "" || len(cut) >= len(replyText) || !strings.HasPrefix(replyText, cut) {
		t.Errorf("interrupted reply's caption %q, want some but not all of %q", cut, replyText)
	}
	if s[1].text != windowReply {
		t.Errorf("the answer to the chat %q, want %q", s[1].text, windowReply)
	}
	intr := ofKind(all, testagent.FactInterrupted)
	if len(intr) != 1 || intr[0].Text != typed {
		t.Fatalf("interruption facts %+v, want one, by the chat", intr)
	}
	// At once: as soon as the message is there.
	// At once: as soon as the message is there. (Its way from SendText
	// to the agent, some 200 ms on loopback, is the SDK's and the SFU's.)
	chat := ofKind(all, testagent.FactChat)[0]
	t.Logf("chat arrived %s after it was sent; the agent stopped %s after that", chat.At.Sub(sent), intr[0].At.Sub(chat.At))
	if d := intr[0].At.Sub(chat.At); d < 0 || d > 50*time.Millisecond {
		t.Errorf("the agent stopped %s after the chat arrived, want at once", d)
	}
	if stops := ofKind(all, testagent.FactReplyStopped); !stops[0].Interrupted || stops[1].Interrupted {
		t.Errorf("reply stop facts %+v, want the first interrupted, the second not", stops)
	}
}

// The user talking over a reply stops it once they have spoken for
// InterruptAfter: its audio stops, its caption (stream and legacy final)
// holds only the words said, and the new utterance is answered; the
// interrupted reply is not said again.
func TestInterruption(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	fl := newFactLog()
	a := startAgent(t, srv, testagent.Options{
		OnFact:  fl.add,
		Heard:   []string{heardHello, heardQuestion},
		Replies: []testagent.Reply{{WAV: testdata("reply.wav"), Text: replyText}, {WAV: testdata("question.wav"), Text: windowReply}},
	})
	c := join(t, srv, "barge-in", "user", agentName(t))
	c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	m := c.liveMic()
	<-a.Hearing()

	m.say(loadClip(t, "hello.wav"))
	// Into the reply far enough for some of its words to be out.
	c.waitFor(callTimeout, "the reply's first words", func() bool {
		s := c.agentStreams()
		return len(s) == 1 && len(s[0].reads) >= 2
	})
	began := m.say(loadClip(t, "question.wav"))
	c.waitFor(callTimeout, "the answer to the interruption", func() bool {
		s := c.agentStreams()
		return len(s) == 2 && s[0].closed && s[1].closed && c.lastState() == "listening" &&
			len(c.legacyFinals(c.agentIdentity())) == 2
	})
	all := fl.wait(t, callTimeout, "both replies' ends", hasKind(testagent.FactReplyStopped, 2))

	c.mu.Lock()
	defer c.mu.Unlock()
	t.Logf("recorded:\n%s\nfacts:\n%s", c.dump(), dumpFacts(all))

	// The audio stopped: the last packet of the first reply is the last
	// before a gap (the second reply comes after thinking).
	var stopped time.Time
	for i, p := range c.packets {
		if p.After(began) && (i+1 == len(c.packets) || c.packets[i+1].Sub(p) > 200*time.Millisecond) {
			stopped = p
			break
		}
	}
	stopLatency := stopped.Sub(began)
	t.Logf("the agent's audio stopped %s after the user began to speak", stopLatency)
	// The InterruptAfter-th voiced frame is sent a frame short of
	// InterruptAfter after the first; packets wobble by a frame or two.
	after := testagent.DefaultInterruptAfter
	if low, high := after-60*time.Millisecond, after+200*time.Millisecond; stopLatency < low || stopLatency > high {
		t.Errorf("the agent's audio stopped %s after the user began to speak, want within [%s, %s]", stopLatency, low, high)
	}

	s := c.agentStreams()
	if s[0].timestamp > s[1].timestamp {
		s[0], s[1] = s[1], s[0]
	}
	cut := s[0].text
	if cut == "" || len(cut) >= len(replyText) || !strings.HasPrefix(replyText, cut) {
		t.Errorf("interrupted reply's caption %q, want some but not all of %q", cut, replyText)
	}
	if s[1].text != windowReply {
		t.Errorf("the answer to the interruption %q, want %q", s[1].text, windowReply)
	}
	if finals := c.legacyFinals(c.agentIdentity()); finals[0] != cut || finals[1] != windowReply {
		t.Errorf("legacy finals %q, want %q then %q", finals, cut, windowReply)
	}
	if names := stateNames(c.stateChanges()); strings.Join(names, ",") != "thinking,speaking,listening,thinking,speaking,listening" {
		t.Errorf("states %v, want a listening between the replies", names)
	}

	stops := ofKind(all, testagent.FactReplyStopped)
	if !stops[0].Interrupted || stops[0].Text != cut || stops[1].Interrupted {
		t.Errorf("reply stop facts %+v, want the first interrupted with %q, the second not", stops, cut)
	}
	intr := ofKind(all, testagent.FactInterrupted)
	starts := ofKind(all, testagent.FactSpeechStarted)
	if len(intr) != 1 || len(starts) != 2 || intr[0].Text != heardQuestion {
		t.Fatalf("interruption facts %+v, want one, by %q", intr, heardQuestion)
	}
	// By the agent's own clock, from the arrival of the utterance's
	// first voiced frame: InterruptAfter of audio, give or take the
	// packets' wobble, plus the utterance's pauses (two frames).
	if d := intr[0].At.Sub(starts[1].At); d < after-60*time.Millisecond || d > after+120*time.Millisecond {
		t.Errorf("the agent decided to stop %s after the first voiced frame arrived, want about %s", d, after)
	}

	// Nothing more is owed: no third reply.
	c.mu.Unlock()
	time.Sleep(testagent.DefaultReplyDelay + time.Second)
	c.mu.Lock()
	if n := len(c.agentStreams()); n != 2 {
		t.Errorf("%d replies, want 2: the interrupted one is not said again", n)
	}
}

// legacyFinals are participant's final legacy segment texts in arrival
// order. c.mu held.
func (c *client) legacyFinals(participant string) []string {
	var out []string
	for _, l := range c.legacy {
		if l.participant == participant && l.seg.Final {
			out = append(out, l.seg.Text)
		}
	}
	return out
}

// The ground truth of a turn, as facts and in the log: the end of speech is
// decided SilenceTimeout after the last voiced frame arrived, and the
// reply's first audible frame goes out ReplyDelay later, plus whatever
// silence the reply's audio begins with.
func TestFacts(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	fl := newFactLog()
	logs := &syncBuffer{}
	const (
		silenceTimeout = 600 * time.Millisecond
		replyDelay     = 300 * time.Millisecond
	)
	// A reply that begins with silence, as TTS audio often does: the
	// latency runs to its first audible frame, not its first frame.
	reply := loadClip(t, "reply.wav")
	reply.Samples = append(make([]int16, 240*audio.SampleRate/1000), reply.Samples...)
	replyWAV := filepath.Join(t.TempDir(), "late-reply.wav")
	w, err := audio.CreateWAV(replyWAV, audio.SampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(reply.Samples); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	startAgent(t, srv, testagent.Options{
		OnFact:         fl.add,
		SilenceTimeout: silenceTimeout,
		ReplyDelay:     replyDelay,
		ReplyWAV:       replyWAV,
		ReplyText:      replyText,
		Logger:         slog.New(slog.NewJSONHandler(logs, nil)),
	})
	c := join(t, srv, "facts", "user", agentName(t))
	c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	c.speak(livekit.TrackSource_MICROPHONE, loadClip(t, "hello.wav"))
	all := fl.wait(t, callTimeout, "the reply's end", hasKind(testagent.FactReplyStopped, 1))
	t.Logf("facts:\n%s", dumpFacts(all))

	for _, f := range all {
		if f.Room != "facts" {
			t.Errorf("fact %q in room %q, want facts", f.Kind, f.Room)
		}
	}
	ended := ofKind(all, testagent.FactSpeechEnded)[0]
	if d := ended.At.Sub(ended.LastVoicedAt); d < silenceTimeout-40*time.Millisecond || d > silenceTimeout+80*time.Millisecond {
		t.Errorf("end of speech decided %s after the last voiced frame, want about the silence timeout %s", d, silenceTimeout)
	}
	started := ofKind(all, testagent.FactReplyStarted)[0]
	if !started.LastVoicedAt.Equal(ended.LastVoicedAt) {
		t.Errorf("the reply answers a last voiced frame at %s, the utterance's was at %s", started.LastVoicedAt, ended.LastVoicedAt)
	}
	if started.Latency != started.At.Sub(started.LastVoicedAt) {
		t.Errorf("latency %s is not first audible - last voiced (%s)", started.Latency, started.At.Sub(started.LastVoicedAt))
	}
	first, last := audibleSpan(reply)
	if first < 240*time.Millisecond {
		t.Fatalf("the padded reply is audible from %s", first)
	}
	want := silenceTimeout + replyDelay + first
	t.Logf("latency %s; silence timeout + reply delay + the reply's leading silence = %s", started.Latency, want)
	if d := started.Latency - want; d < -40*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("latency %s, want %s (+100 ms, -40 ms)", started.Latency, want)
	}
	stopped := ofKind(all, testagent.FactReplyStopped)[0]
	if stopped.Interrupted || stopped.Text != replyText {
		t.Errorf("reply stop %+v, want not interrupted, with the whole text", stopped)
	}
	if d := stopped.At.Sub(started.At) - (last - first); d < -60*time.Millisecond || d > 60*time.Millisecond {
		t.Errorf("reply audible for %s, its audio for %s", stopped.At.Sub(started.At), last-first)
	}

	// What the client heard agrees: its first speech from the agent
	// arrives just after the agent says it sent it.
	c.waitFor(callTimeout, "the reply's audio", func() bool { return len(c.audio) > 0 })
	c.mu.Lock()
	var heard time.Time
	for _, a := range c.audio {
		if a.speech {
			heard = a.at
			break
		}
	}
	c.mu.Unlock()
	if d := heard.Sub(started.At); d < 0 || d > 300*time.Millisecond {
		t.Errorf("the client heard the reply's first speech %s after the agent's first_audible_at", d)
	}

	// The log states the same, by name.
	rec := logRecord(t, logs.String(), testagent.FactReplyStarted)
	for key, want := range map[string]string{
		"first_audible_at": started.At.Format(time.RFC3339Nano),
		"last_voiced_at":   started.LastVoicedAt.Format(time.RFC3339Nano),
	} {
		if got, _ := rec[key].(string); got != want {
			t.Errorf("log %q: %s=%v, want %s", testagent.FactReplyStarted, key, rec[key], want)
		}
	}
	if got, _ := rec["latency"].(float64); time.Duration(got) != started.Latency {
		t.Errorf("log latency %v, want %d ns", rec["latency"], started.Latency)
	}
	if got, _ := rec["reply_delay"].(float64); time.Duration(got) != replyDelay {
		t.Errorf("log reply_delay %v, want %d ns", rec["reply_delay"], replyDelay)
	}
	rec = logRecord(t, logs.String(), testagent.FactSpeechEnded)
	if got, _ := rec["detected_at"].(string); got != ended.At.Format(time.RFC3339Nano) {
		t.Errorf("log detected_at %v, want %s", rec["detected_at"], ended.At.Format(time.RFC3339Nano))
	}
	rec = logRecord(t, logs.String(), testagent.FactReplyStopped)
	if rec["interrupted"] != false || rec["last_audible_at"] != stopped.At.Format(time.RFC3339Nano) {
		t.Errorf("log %q: %v", testagent.FactReplyStopped, rec)
	}
}

// audibleSpan is when the first and the last audible frame of clip begin.
func audibleSpan(clip *audio.Clip) (first, last time.Duration) {
	first = -1
	for i := 0; i*audio.FrameSamples < len(clip.Samples); i++ {
		f := make(audio.Frame, audio.FrameSamples)
		copy(f, clip.Samples[i*audio.FrameSamples:])
		if voiced(f) {
			at := time.Duration(i) * audio.FrameDuration
			if first < 0 {
				first = at
			}
			last = at
		}
	}
	return first, last
}

// logRecord is the first JSON log record with message msg.
func logRecord(t *testing.T, log, msg string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			return rec
		}
	}
	t.Fatalf("no log record %q in:\n%s", msg, log)
	return nil
}

// syncBuffer is a bytes.Buffer the agent's goroutines can log into.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
