package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/event"
)

// What the chat tests type, and what the agent answers it with.
const (
	typedWindow = "Do you have a table by the window?"
	windowReply = "Yes, we have a table by the window."
	typedEight  = "Can we come at eight?"
	eightReply  = "Eight o'clock is fine."
)

// chatReplies are the agent's answers to the typed messages, by their
// words, and the default reply to anything else (the spoken hello).
func chatReplies() []testagent.Reply {
	return []testagent.Reply{
		{WAV: repoFile("audio", "reply.wav"), Text: replyText},
		{WAV: repoFile("audio", "question.wav"), Text: windowReply, When: "window"},
		{WAV: repoFile("audio", "question.wav"), Text: eightReply, When: "eight"},
	}
}

// facts collects what the test agent states.
type facts struct {
	mu  sync.Mutex
	all []testagent.Fact
}

func (f *facts) add(x testagent.Fact) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.all = append(f.all, x)
}

func (f *facts) ofKind(kind string) []testagent.Fact {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []testagent.Fact
	for _, x := range f.all {
		if x.Kind == kind {
			out = append(out, x)
		}
	}
	return out
}

// textCall runs the webcall binary against the agent with stdin fed from
// stdin (nil: /dev/null) and no --input.
func (e *e2e) textCall(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, webcallBin, e.callArgs(args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LIVEKIT_API_SECRET=" + e.srv.APISecret}
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String(), elapsed: time.Since(start)}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run webcall: %v", err)
		}
		r.code = ee.ExitCode()
	}
	return r
}

// chats returns the chat events of a speaker, as their texts.
func chats(evs []event.Event, speaker string) []string {
	var out []string
	for _, e := range evs {
		if e.Type == event.Chat && e.Speaker == speaker {
			out = append(out, e.Text)
		}
	}
	return out
}

func texts(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Text)
	}
	return out
}

func statsOf(t *testing.T, evs []event.Event) event.CallStats {
	t.Helper()
	for _, e := range evs {
		if e.Type == event.Stats && e.Stats != nil {
			return *e.Stats
		}
	}
	t.Fatalf("no stats event:\n%s", dumpEvents(evs))
	return event.CallStats{}
}

// A text-only call, scripted with --say: webcall publishes no track (the
// agent never hears one), opens no audio device, receives no audio, and
// shows the agent's reply, whether the agent answers in text only (its
// audio output off) or speaks its answer as a voice agent does. The chat
// message is a chat event and the call ends by itself after the reply.
func TestTextCallEndToEnd(t *testing.T) {
	inParallel(t)
	for _, tc := range []struct {
		name     string
		textOnly bool
	}{
		{"a text-only agent", true},
		{"a voice agent", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &facts{}
			e := startE2E(t, testagent.Options{Replies: chatReplies(), TextOnly: tc.textOnly, OnFact: f.add})
			r := e.textCall(t, "", "--text", "--say", typedWindow, "--format", "json")
			if r.code != 0 {
				t.Fatalf("exit code %d\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
			}
			noStackTrace(t, r)
			evs := parseEvents(t, r.stdout)
			if got := chats(evs, event.SpeakerUser); !slices.Equal(got, []string{typedWindow}) {
				t.Errorf("user chat events %q, want the --say text", got)
			}
			if got := texts(finals(evs, event.SpeakerAgent)); !slices.Equal(got, []string{windowReply}) {
				t.Errorf("agent finals %q, want %q:\n%s", got, windowReply, dumpEvents(evs))
			}
			if n := len(finals(evs, event.SpeakerUser)); n > 0 {
				t.Errorf("%d user captions in a text call", n)
			}
			if st := statsOf(t, evs); st.SentMS != 0 || st.ReceivedMS != 0 {
				t.Errorf("stats %+v: audio went out or came in", st)
			}
			if last := evs[len(evs)-1]; last.Type != event.Disconnected || !strings.Contains(last.Reason, "reply is over") {
				t.Errorf("last event %+v, want the end of the reply", last)
			}
			if n := len(f.ofKind(testagent.FactUserTrack)); n > 0 {
				t.Errorf("the agent heard %d user tracks", n)
			}
			if got := f.ofKind(testagent.FactChat); len(got) != 1 || got[0].Text != typedWindow {
				t.Errorf("the agent received chat %+v", got)
			}
			if strings.Contains(r.stderr, "audio: ") || strings.Contains(r.stderr, "not playing") {
				t.Errorf("a text call opened (or tried) an audio device:\n%s", r.stderr)
			}
		})
	}
}

// A text call without a terminal takes one message per line of stdin,
// each after the reply to the one before, and ends after the last reply.
func TestTextCallFromStdin(t *testing.T) {
	inParallel(t)
	f := &facts{}
	e := startE2E(t, testagent.Options{Replies: chatReplies(), TextOnly: true, OnFact: f.add})
	r := e.textCall(t, typedWindow+"\n\n"+typedEight+"\n", "--text", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	evs := parseEvents(t, r.stdout)
	if got := chats(evs, event.SpeakerUser); !slices.Equal(got, []string{typedWindow, typedEight}) {
		t.Errorf("user chat events %q, want the two lines", got)
	}
	if got := texts(finals(evs, event.SpeakerAgent)); !slices.Equal(got, []string{windowReply, eightReply}) {
		t.Errorf("agent finals %q, want a whole reply to each line, in order:\n%s", got, dumpEvents(evs))
	}
	if last := evs[len(evs)-1]; last.Type != event.Disconnected || !strings.Contains(last.Reason, "chat input ended") {
		t.Errorf("last event %+v, want the end of the chat input", last)
	}
	if n := len(f.ofKind(testagent.FactChat)); n != 2 {
		t.Errorf("the agent received %d chat messages, want 2", n)
	}
}

// Chat during a voice call: --input says the file, then --say types a
// message. The agent answers both (the typed one as LiveKit Agents do, in
// speech with captions, and here also on lk.chat), and the JSON stream has
// chat events both ways.
func TestChatDuringVoiceCall(t *testing.T) {
	inParallel(t)
	f := &facts{}
	e := startE2E(t, testagent.Options{Replies: chatReplies(), ChatReplies: true, OnFact: f.add})
	r := e.call(t, context.Background(), "--say", typedWindow, "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	evs := parseEvents(t, r.stdout)
	if got := texts(finals(evs, event.SpeakerUser)); !slices.Equal(got, []string{heard}) {
		t.Errorf("user finals %q, want what the file said", got)
	}
	if got := texts(finals(evs, event.SpeakerAgent)); !slices.Equal(got, []string{replyText, windowReply}) {
		t.Errorf("agent finals %q, want the spoken reply then the reply to the chat:\n%s", got, dumpEvents(evs))
	}
	if got := chats(evs, event.SpeakerUser); !slices.Equal(got, []string{typedWindow}) {
		t.Errorf("user chat events %q", got)
	}
	if got := chats(evs, event.SpeakerAgent); !slices.Equal(got, []string{windowReply}) {
		t.Errorf("agent chat events %q, want the reply on lk.chat", got)
	}
	// The message went out after the reply to the file was over.
	var firstReply, chatAt int64 = -1, -1
	for _, ev := range evs {
		switch {
		case ev.Type == event.Transcript && ev.Speaker == event.SpeakerAgent && *ev.Final && firstReply < 0:
			firstReply = ev.TimeMS
		case ev.Type == event.Chat && ev.Speaker == event.SpeakerUser:
			chatAt = ev.TimeMS
		}
	}
	if firstReply < 0 || chatAt < firstReply {
		t.Errorf("chat sent at %d ms, the spoken reply ended at %d ms", chatAt, firstReply)
	}
	if n := len(f.ofKind(testagent.FactUserTrack)); n != 1 {
		t.Errorf("the agent heard %d user tracks, want the microphone", n)
	}
	if st := statsOf(t, evs); st.SentMS == 0 || st.ReceivedMS == 0 {
		t.Errorf("stats %+v: a voice call without audio", st)
	}
}

// Flags a text call cannot take are refused before anything is attempted.
func TestTextCallBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--text", "--input", repoFile("audio", "hello.wav")}, "--text takes no audio, so --input"},
		{[]string{"--text", "--record", "x.wav"}, "--record does not apply"},
		{[]string{"--say", "  "}, "--say number 1 is empty"},
		{[]string{"--input", "mic", "--say", "hi"}, "--say cannot follow --input mic"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runMain(t, nil, append([]string{"call", "--url", "ws://127.0.0.1:1", "--token", "x"}, tc.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant %d and %q", r.code, r.stderr, exitUsage, tc.want)
			}
			noStackTrace(t, r)
		})
	}
}

// --say alone: a voice session in which the user only types. webcall
// publishes its microphone track (sending silence), the agent speaks its
// answers, and the call ends after the reply to the last message.
func TestSayAlone(t *testing.T) {
	inParallel(t)
	f := &facts{}
	e := startE2E(t, testagent.Options{Replies: chatReplies(), OnFact: f.add})
	r := e.textCall(t, "", "--say", typedWindow, "--say", typedEight, "--format", "json", "--output", t.TempDir()+"/reply.wav")
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	evs := parseEvents(t, r.stdout)
	if got := chats(evs, event.SpeakerUser); !slices.Equal(got, []string{typedWindow, typedEight}) {
		t.Errorf("user chat events %q", got)
	}
	if got := texts(finals(evs, event.SpeakerAgent)); !slices.Equal(got, []string{windowReply, eightReply}) {
		t.Errorf("agent finals %q, want a spoken reply to each message:\n%s", got, dumpEvents(evs))
	}
	if st := statsOf(t, evs); st.ReceivedMS == 0 || st.SentMS == 0 {
		t.Errorf("stats %+v: want the agent's speech received and silence sent", st)
	}
	if n := len(f.ofKind(testagent.FactUserTrack)); n != 1 {
		t.Errorf("the agent heard %d user tracks, want the (silent) microphone", n)
	}
	if n := len(f.ofKind(testagent.FactSpeechStarted)); n > 0 {
		t.Errorf("the agent heard %d utterances from a user who only typed", n)
	}
}
