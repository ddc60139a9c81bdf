package testagent_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// Agents hear MICROPHONE tracks only: speech on an audio track of another
// source gets no transcript and no reply. (The source a client forgets to
// set, UNKNOWN, cannot be sent from this SDK: it publishes an UNKNOWN
// audio track as MICROPHONE. SCREEN_SHARE_AUDIO stands in for it; the
// agent treats every source but MICROPHONE alike.)
func TestIgnoresOtherSources(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	startAgent(t, srv, testagent.Options{})

	c := join(t, srv, "other-source", "user", agentName(t))
	c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	_, sent := c.speak(livekit.TrackSource_SCREEN_SHARE_AUDIO, loadClip(t, "hello.wav"))
	<-sent
	// Two seconds of silence have followed the speech: enough for the
	// agent to have answered by now had it heard it.
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.streams) > 0 || len(c.legacy) > 0 || len(c.stateChanges()) > 0 || len(c.packets) > 0 {
		t.Errorf("the agent reacted to a track of source SCREEN_SHARE_AUDIO:\n%s", c.dump())
	}
}

// The options that make the agent behave like older or differently
// configured agents.
func TestVariants(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	hello := loadClip(t, "hello.wav")

	// userTurn speaks hello.wav and waits for the reply to be over.
	userTurn := func(t *testing.T, c *client, replyDone func() bool) {
		c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
		c.speak(livekit.TrackSource_MICROPHONE, hello)
		c.waitFor(callTimeout, "the reply", func() bool {
			s := c.stateChanges()
			return len(s) >= 3 && s[len(s)-1].state == "listening" && replyDone()
		})
	}

	t.Run("legacy only", func(t *testing.T) {
		t.Parallel()
		startAgent(t, srv, testagent.Options{LegacyOnly: true})
		c := join(t, srv, "legacy-only", "user", agentName(t))
		userTurn(t, c, func() bool { return hasLegacyFinal(c.legacy, c.agentIdentity()) })
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.streams) > 0 {
			t.Errorf("%d text streams, want none:\n%s", len(c.streams), c.dump())
		}
		checkLegacy(t, c.legacy, "user", heardHello, "")
		checkLegacy(t, c.legacy, c.agentIdentity(), replyText, "")
	})

	t.Run("no segment ids", func(t *testing.T) {
		t.Parallel()
		startAgent(t, srv, testagent.Options{OmitSegmentID: true})
		c := join(t, srv, "no-segment-ids", "user", agentName(t))
		userTurn(t, c, func() bool { s := c.agentStreams(); return len(s) == 1 && s[0].closed })
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, s := range c.streams {
			if id, ok := s.attrs["lk.segment_id"]; ok {
				t.Errorf("stream %q carries lk.segment_id %q", s.text, id)
			}
			if s.attrs["lk.transcription_final"] == "" || s.attrs["lk.transcribed_track_id"] == "" {
				t.Errorf("stream %q lost its other attributes: %v", s.text, s.attrs)
			}
		}
		if got := c.agentStreams()[0].text; got != replyText {
			t.Errorf("reply %q, want %q", got, replyText)
		}
	})

	t.Run("reply stream never closed", func(t *testing.T) {
		t.Parallel()
		startAgent(t, srv, testagent.Options{NeverCloseReply: true})
		c := join(t, srv, "never-closed", "user", agentName(t))
		userTurn(t, c, func() bool { s := c.agentStreams(); return len(s) == 1 && s[0].text == replyText })
		time.Sleep(time.Second)
		c.mu.Lock()
		defer c.mu.Unlock()
		if s := c.agentStreams()[0]; s.closed {
			t.Errorf("the reply stream was closed")
		}
		for _, s := range c.userStreams() {
			if !s.closed {
				t.Errorf("user stream %q not closed: only reply streams stay open", s.text)
			}
		}
	})

	t.Run("JSON transcripts", func(t *testing.T) {
		t.Parallel()
		startAgent(t, srv, testagent.Options{JSONTranscripts: true})
		c := join(t, srv, "json", "user", agentName(t))
		userTurn(t, c, func() bool { s := c.agentStreams(); return len(s) == 1 && s[0].closed })
		c.mu.Lock()
		defer c.mu.Unlock()
		var finals int
		for _, s := range c.userStreams() {
			line := parseJSONLine(t, s.text)
			if line.Text == heardHello {
				finals++
			} else if !strings.HasPrefix(heardHello, line.Text) {
				t.Errorf("interim %q is not a prefix of %q", line.Text, heardHello)
			}
			if line.EndTime <= line.StartTime || line.Confidence <= 0 {
				t.Errorf("chunk %q: implausible timing or confidence", s.text)
			}
		}
		if finals != 2 {
			t.Errorf("%d streams carry the whole text, want 2", finals)
		}
		if got := c.agentStreams()[0].text; got != replyText {
			t.Errorf("the reply is plain text: got %q", got)
		}
	})

	t.Run("greeting", func(t *testing.T) {
		t.Parallel()
		startAgent(t, srv, testagent.Options{GreetWAV: testdata("question.wav"), GreetText: heardQuestion})
		c := join(t, srv, "greeting", "user", agentName(t))
		c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
		c.speak(livekit.TrackSource_MICROPHONE) // silence only
		c.waitFor(callTimeout, "the greeting", func() bool { s := c.agentStreams(); return len(s) == 1 && s[0].closed })
		c.waitFor(callTimeout, "the agent to listen", func() bool { return c.lastState() == "listening" })
		c.mu.Lock()
		defer c.mu.Unlock()
		if got := c.agentStreams()[0].text; got != heardQuestion {
			t.Errorf("greeting %q, want %q", got, heardQuestion)
		}
		if names := stateNames(c.stateChanges()); strings.Join(names, ",") != "speaking,listening" {
			t.Errorf("states %v, want speaking, listening", names)
		}
		if n := len(c.userStreams()); n > 0 {
			t.Errorf("%d user transcripts for silence", n)
		}
	})
}

func hasLegacyFinal(legacy []rxLegacy, participant string) bool {
	for _, l := range legacy {
		if l.participant == participant && l.seg.Final {
			return true
		}
	}
	return false
}

type jsonLine struct {
	Text       string  `json:"text"`
	StartTime  float64 `json:"start_time"`
	EndTime    float64 `json:"end_time"`
	Confidence float64 `json:"confidence"`
}

func parseJSONLine(t *testing.T, s string) jsonLine {
	t.Helper()
	var l jsonLine
	sc := bufio.NewScanner(strings.NewReader(s))
	n := 0
	for sc.Scan() {
		n++
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Errorf("chunk %q is not JSON: %v", s, err)
		}
	}
	if n != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("chunk %q: want one JSON object and a newline", s)
	}
	return l
}

// One agent serves several rooms at once, and, with interruption off, a
// user who speaks again while the agent is still answering gets the next
// scripted text and a second reply once the first is over.
func TestRoomsAndTurns(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	a := startAgent(t, srv, testagent.Options{
		InterruptAfter: -1,
		Heard:          []string{heardHello, heardQuestion},
		Replies:        []testagent.Reply{{WAV: testdata("reply.wav"), Text: replyText}, {WAV: testdata("question.wav"), Text: heardQuestion}},
	})
	hello, question := loadClip(t, "hello.wav"), loadClip(t, "question.wav")

	one := join(t, srv, "room-one", "alice", agentName(t))
	two := join(t, srv, "room-two", "bob", agentName(t))
	for _, c := range []*client{one, two} {
		c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	}
	if one.agentIdentity() == two.agentIdentity() {
		t.Errorf("one agent identity %q in both rooms, want one job each", one.agentIdentity())
	}
	if j := a.ActiveJobs(); j != 2 {
		t.Errorf("active jobs %d, want 2", j)
	}
	pub, _ := one.speak(livekit.TrackSource_MICROPHONE, hello)
	two.speak(livekit.TrackSource_MICROPHONE, hello, question)

	one.waitFor(callTimeout, "one reply", func() bool {
		s := one.agentStreams()
		return len(s) == 1 && s[0].closed && one.lastState() == "listening"
	})
	one.mu.Lock()
	if got := one.agentStreams()[0].text; got != replyText {
		t.Errorf("room one's reply %q, want the script's first, %q", got, replyText)
	}
	one.mu.Unlock()
	two.waitFor(2*callTimeout, "two replies", func() bool {
		s := two.agentStreams()
		return len(s) == 2 && s[0].closed && s[1].closed && two.lastState() == "listening"
	})

	one.mu.Lock()
	checkUserStreams(t, one.userStreams(), heardHello, pub.SID())
	one.mu.Unlock()

	two.mu.Lock()
	bySeg := map[string][]*rxStream{}
	var order []string
	for _, s := range two.userStreams() {
		id := s.attrs["lk.segment_id"]
		if bySeg[id] == nil {
			order = append(order, id)
		}
		bySeg[id] = append(bySeg[id], s)
	}
	if len(order) != 2 {
		t.Fatalf("%d user segments, want 2:\n%s", len(order), two.dump())
	}
	track := two.userStreams()[0].attrs["lk.transcribed_track_id"]
	first, second := bySeg[order[0]], bySeg[order[1]]
	if first[0].timestamp > second[0].timestamp {
		first, second = second, first
	}
	checkUserStreams(t, first, heardHello, track)
	checkUserStreams(t, second, heardQuestion, track)
	// The replies follow the script, each with its own segment.
	replies := two.agentStreams()
	if replies[0].timestamp > replies[1].timestamp {
		replies[0], replies[1] = replies[1], replies[0]
	}
	if replies[0].text != replyText || replies[1].text != heardQuestion {
		t.Errorf("replies %q, %q; want %q, %q", replies[0].text, replies[1].text, replyText, heardQuestion)
	}
	if replies[0].attrs["lk.segment_id"] == replies[1].attrs["lk.segment_id"] {
		t.Errorf("both replies have segment id %q, want one each", replies[0].attrs["lk.segment_id"])
	}
	two.mu.Unlock()

	// A job ends when its user leaves.
	one.leave()
	eventually(t, callTimeout, "the agent to leave room one", func() bool { return a.ActiveJobs() == 1 })
	two.leave()
	eventually(t, callTimeout, "the agent to leave room two", func() bool { return a.ActiveJobs() == 0 })
}

func TestStartErrors(t *testing.T) {
	srv := startServer(t)
	// A start that fails leaves nothing running.
	checkGoroutines(t)
	reply := testdata("reply.wav")
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "ws://" + l.Addr().String()
	}()
	notWAV := filepath.Join(t.TempDir(), "reply.wav")
	if err := os.WriteFile(notWAV, []byte("not audio\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    testagent.Options
		want string
	}{
		{"no URL", testagent.Options{APIKey: "k", APISecret: "s", ReplyWAV: reply}, "no server URL"},
		{"bad scheme", testagent.Options{URL: "ftp://x", APIKey: "k", APISecret: "s", ReplyWAV: reply}, "must start with ws://"},
		{"no key", testagent.Options{URL: srv.URL, ReplyWAV: reply}, "API key and secret"},
		{"no reply", testagent.Options{URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret}, "no reply audio"},
		{"reply not a WAV", testagent.Options{URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret, ReplyWAV: notWAV}, notWAV},
		{"wrong secret", testagent.Options{URL: srv.URL, APIKey: srv.APIKey, APISecret: "not-the-secret", ReplyWAV: reply}, "refused the API key and secret"},
		{"nobody listening", testagent.Options{URL: closed, APIKey: "k", APISecret: "s", ReplyWAV: reply}, "connect to " + closed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := testagent.Start(t.Context(), tc.o)
			if err == nil {
				a.Close()
				t.Fatalf("Start succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "not-the-secret") {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
	// A bad reply file is the user's input error, kept as such.
	_, err := testagent.Start(t.Context(), testagent.Options{URL: srv.URL, APIKey: "k", APISecret: "s", ReplyWAV: notWAV})
	var fe *failure.Error
	if !errors.As(err, &fe) || fe.Kind != failure.Input {
		t.Errorf("bad reply WAV: error %v is not a failure.Input", err)
	}
}

// A worker whose server goes away registers again when it comes back, and
// new rooms get it, as with a deployed agent across a server restart.
func TestWorkerReconnects(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local LiveKit server")
	}
	first, err := lkserver.StartProcess(t.Context(), lkserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Close() })
	checkGoroutines(t)
	startAgent(t, first, testagent.Options{})

	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	// The same ports, so the agent's URL is right again.
	second, err := lkserver.StartProcess(t.Context(), first.Config)
	if err != nil {
		t.Fatalf("restart the server on the same ports: %v", err)
	}
	t.Cleanup(func() { second.Close() })

	// A room is dispatched to the workers registered when it is created,
	// so try fresh rooms until the agent is back.
	deadline := time.Now().Add(callTimeout)
	for i := 0; ; i++ {
		c := join(t, second, "after-restart-"+strconv.Itoa(i), "user", agentName(t))
		joined := false
		for wait := time.Now().Add(3 * time.Second); time.Now().Before(wait) && !joined; time.Sleep(50 * time.Millisecond) {
			c.mu.Lock()
			joined = c.agent != nil
			c.mu.Unlock()
		}
		c.leave()
		if joined {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not come back within %s of the server's restart", callTimeout)
		}
	}
}
