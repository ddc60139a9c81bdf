package testagent_test

import (
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
)

const (
	heardHello    = "Hello, I would like to book a table for two tonight."
	heardQuestion = "Do you have a table by the window?"
	replyText     = "Sure, I can help you with that. What time would you like?"
	// callTimeout bounds each wait for the agent; a reply takes about 5 s.
	callTimeout = 30 * time.Second
)

func testdata(name string) string {
	return filepath.Join("..", "..", "testdata", "audio", name)
}

func loadClip(t *testing.T, name string) *audio.Clip {
	t.Helper()
	c, err := audio.LoadFile(testdata(name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startServer starts a LiveKit server for the test; -short skips the test,
// since it crosses the wire.
func startServer(t *testing.T) *lkserver.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local LiveKit server")
	}
	return lkserver.Start(t)
}

// startAgent starts an agent on srv with defaults for a test, and closes it
// when the test ends.
func startAgent(t *testing.T, srv *lkserver.Server, o testagent.Options) *testagent.Agent {
	t.Helper()
	o.URL, o.APIKey, o.APISecret = srv.URL, srv.APIKey, srv.APISecret
	if o.AgentName == "" {
		o.AgentName = "agent-" + strings.ToLower(strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()))
	}
	if o.ReplyWAV == "" {
		o.ReplyWAV, o.ReplyText = testdata("reply.wav"), replyText
	}
	if len(o.Heard) == 0 {
		o.Heard = []string{heardHello}
	}
	if testing.Verbose() && o.Logger == nil {
		o.Logger = testLogger(t)
	}
	a, err := testagent.Start(t.Context(), o)
	if err != nil {
		t.Fatalf("start the agent: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// checkGoroutines fails the test if goroutines started during it outlive
// it. Register it right after starting the server, so it runs after every
// other cleanup of the test but before the server stops: a goroutine still
// talking to the server is found, not ended by the server's going.
func checkGoroutines(t *testing.T) {
	// Left out: the SDK's reader of a text stream that was never
	// closed (the test client's, waiting for a trailer that by design
	// never comes with NeverCloseReply); it is the SDK's, not the
	// agent's, and ends only with the process.
	t.Cleanup(leaktest.Check(t, leaktest.Ignore("(*baseStreamReader).waitForData")))
	// The Twirp client's keep-alive connections are net/http's, kept for
	// reuse, not leaked; closed first, they end before the check.
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
}

// TestCall is a whole call with a plain SDK client: explicit dispatch by
// name, a user utterance transcribed as interim and final streams on the
// user's behalf, a spoken reply with its word-by-word text stream, the
// same captions as legacy packets with other ids, and no agent audio once
// the reply is over.
func TestCall(t *testing.T) {
	srv := startServer(t)
	checkGoroutines(t)
	a := startAgent(t, srv, testagent.Options{})
	reply := loadClip(t, "reply.wav")

	c := join(t, srv, "call-room", "user", agentName(t))
	c.waitFor(callTimeout, "the agent to join", func() bool { return c.agent != nil })
	ag := c.agent
	if ag.Kind() != lksdk.ParticipantAgent {
		t.Errorf("agent kind %v, want AGENT", ag.Kind())
	}
	attrs := ag.Attributes()
	if attrs["lk.agent.name"] != agentName(t) {
		t.Errorf("lk.agent.name = %q, want %q", attrs["lk.agent.name"], agentName(t))
	}
	if attrs["lk.agent.state"] != "listening" {
		t.Errorf("the agent appears in state %q, want listening", attrs["lk.agent.state"])
	}

	pub, _ := c.speak(livekit.TrackSource_MICROPHONE, loadClip(t, "hello.wav"))
	c.waitFor(callTimeout, "the reply text stream to close", func() bool {
		s := c.agentStreams()
		return len(s) == 1 && s[0].closed
	})
	c.waitFor(callTimeout, "the agent to listen again", func() bool { return c.lastState() == "listening" })
	// The legacy final goes out before the state changes, but on the data
	// channel, while attributes come over the signalling connection: it
	// can arrive after.
	c.waitFor(callTimeout, "the reply's legacy final", func() bool { return c.hasLegacyFinal(ag.Identity()) })

	c.mu.Lock()
	defer c.mu.Unlock()
	t.Logf("recorded:\n%s", c.dump())

	// The user's speech: interim streams, then the final text as a
	// final=false and a final=true stream; one segment id; sent on the
	// user's behalf, naming the user's track. (The SDK hands each stream
	// to its own goroutine, so the order of streams sent within a
	// millisecond is not observable here.)
	user := c.userStreams()
	segID := checkUserStreams(t, user, heardHello, pub.SID())

	// thinking once the user has spoken, then speaking, then listening.
	// (Which comes first of the final stream and the state change is not
	// observable: they travel on different channels.)
	states := c.stateChanges()
	if names := stateNames(states); strings.Join(names, ",") != "thinking,speaking,listening" {
		t.Errorf("states %v, want thinking, speaking, listening", names)
	} else if states[0].at.Before(user[0].opened) {
		t.Errorf("thinking before the user spoke")
	}

	// The reply: one stream from the agent, its own track, a new segment
	// id, word by word, the final attribute never true, closed at the end.
	rs := c.agentStreams()[0]
	if rs.sender != ag.Identity() {
		t.Errorf("reply stream sent by %q, want the agent %q", rs.sender, ag.Identity())
	}
	if rs.attrs["lk.transcription_final"] != "false" {
		t.Errorf("reply stream final=%q, want false", rs.attrs["lk.transcription_final"])
	}
	if id := rs.attrs["lk.segment_id"]; id == "" || id == segID {
		t.Errorf("reply segment id %q, want a new one (user's %q)", id, segID)
	}
	agentTrack := ""
	for _, p := range ag.TrackPublications() {
		agentTrack = p.SID()
	}
	if rs.attrs["lk.transcribed_track_id"] != agentTrack {
		t.Errorf("reply stream transcribes %q, want the agent's track %q", rs.attrs["lk.transcribed_track_id"], agentTrack)
	}
	if rs.text != replyText {
		t.Errorf("reply text %q, want %q", rs.text, replyText)
	}
	// Written in step with the audio, not at once: the words arrive over
	// most of the reply's length.
	if spread := rs.reads[len(rs.reads)-1].Sub(rs.opened); spread < reply.Duration()/2 {
		t.Errorf("reply words arrived within %s, want them spread over the %s reply", spread, reply.Duration())
	}

	// The reply audio: speech, as long as what the agent sent.
	var samples, speech int
	for _, a := range c.audio {
		samples += a.samples
		if a.speech {
			speech += a.samples
		}
	}
	got := time.Duration(samples) * time.Second / audio.SampleRate
	if d := got - reply.Duration(); d < -100*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("received %s of agent audio, the reply is %s", got, reply.Duration())
	}
	if float64(speech) < 0.5*float64(samples) {
		t.Errorf("agent audio is %d%% speech, want mostly speech", 100*speech/max(samples, 1))
	}

	// Legacy packets carry the same captions under other ids.
	checkLegacy(t, c.legacy, "user", heardHello, segID)
	checkLegacy(t, c.legacy, ag.Identity(), replyText, rs.attrs["lk.segment_id"])

	// Between replies the agent's track sends nothing at all.
	n := len(c.packets) + c.fillers
	c.mu.Unlock()
	time.Sleep(time.Second)
	c.mu.Lock()
	if extra := len(c.packets) + c.fillers - n; extra > 0 {
		t.Errorf("%d audio packets arrived after the reply ended, want none", extra)
	}

	if j := a.ActiveJobs(); j != 1 {
		t.Errorf("active jobs %d, want 1", j)
	}
	c.mu.Unlock()

	// Closing the room ends the job: the agent leaves and reports it.
	if _, err := lksdk.NewRoomServiceClient(srv.HTTPURL, srv.APIKey, srv.APISecret).
		DeleteRoom(t.Context(), &livekit.DeleteRoomRequest{Room: "call-room"}); err != nil {
		t.Fatalf("delete the room: %v", err)
	}
	eventually(t, callTimeout, "the agent to end its job", func() bool { return a.ActiveJobs() == 0 })
	c.mu.Lock()
}

// eventually polls cond until it holds, failing the test after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func agentName(t *testing.T) string {
	return "agent-" + strings.ToLower(strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()))
}

// checkLegacy: the participant's legacy segments grow into text, end with
// one final, and use ids other than the text streams'.
func checkLegacy(t *testing.T, legacy []rxLegacy, participant, text, streamSegID string) {
	t.Helper()
	var finals []string
	ids := map[string]bool{}
	for _, l := range legacy {
		if l.participant != participant {
			continue
		}
		ids[l.seg.ID] = true
		if l.seg.ID == streamSegID {
			t.Errorf("legacy segment id %q equals the text stream's", l.seg.ID)
		}
		if l.seg.Final {
			finals = append(finals, l.seg.Text)
		} else if !strings.HasPrefix(text, l.seg.Text) {
			t.Errorf("legacy interim %q of %s is not a prefix of %q", l.seg.Text, participant, text)
		}
	}
	if len(finals) != 1 || finals[0] != text {
		t.Errorf("legacy finals of %s: %q, want one %q", participant, finals, text)
	}
	if len(ids) != 1 {
		t.Errorf("legacy segment ids of %s: %v, want one", participant, ids)
	}
}

// Helpers reading the record; c.mu held.

func (c *client) userStreams() []*rxStream  { return c.streamsFrom(c.identity) }
func (c *client) agentStreams() []*rxStream { return c.streamsFrom(c.agentIdentity()) }

func (c *client) agentIdentity() string {
	if c.agent == nil {
		return ""
	}
	return c.agent.Identity()
}

func (c *client) streamsFrom(sender string) []*rxStream {
	var out []*rxStream
	for _, s := range c.streams {
		if s.sender == sender && sender != "" {
			out = append(out, s)
		}
	}
	return out
}

func (c *client) lastState() string {
	if len(c.states) == 0 {
		return ""
	}
	return c.states[len(c.states)-1].state
}

// stateChanges is the agent's state over time without repeats: the SDK
// reports the agent's first attributes as a change too.
func (c *client) stateChanges() []rxState {
	var out []rxState
	prev := "listening" // how the agent appears
	for _, s := range c.states {
		if s.state != prev {
			out = append(out, s)
			prev = s.state
		}
	}
	return out
}

func stateNames(states []rxState) []string {
	var out []string
	for _, s := range states {
		out = append(out, s.state)
	}
	return out
}

// checkUserStreams checks one utterance's user streams and returns its
// segment id: interims (final=false, growing prefixes of text), then the
// whole text twice, final=false and final=true; one segment id; each a
// complete stream; all naming the user's track.
func checkUserStreams(t *testing.T, user []*rxStream, text, trackSID string) string {
	t.Helper()
	if len(user) < 3 {
		t.Fatalf("%d user streams, want interims and two finals", len(user))
	}
	segID := user[0].attrs["lk.segment_id"]
	if segID == "" {
		t.Errorf("user stream without lk.segment_id")
	}
	var finals []string
	var lastInterim int64
	firstFinal := int64(math.MaxInt64)
	for i, s := range user {
		if s.attrs["lk.segment_id"] != segID {
			t.Errorf("user stream %d has segment %q, want %q", i, s.attrs["lk.segment_id"], segID)
		}
		if s.attrs["lk.transcribed_track_id"] != trackSID {
			t.Errorf("user stream %d transcribes track %q, want the user's %q", i, s.attrs["lk.transcribed_track_id"], trackSID)
		}
		if !s.closed {
			t.Errorf("user stream %d is not closed: each update is a complete stream", i)
		}
		if s.text == text {
			finals = append(finals, s.attrs["lk.transcription_final"])
			firstFinal = min(firstFinal, s.timestamp)
			continue
		}
		lastInterim = max(lastInterim, s.timestamp)
		if !strings.HasPrefix(text, s.text) {
			t.Errorf("interim %d %q is not a prefix of %q", i, s.text, text)
		}
		if s.attrs["lk.transcription_final"] != "false" {
			t.Errorf("interim %d %q has final=%q", i, s.text, s.attrs["lk.transcription_final"])
		}
	}
	slices.Sort(finals)
	if strings.Join(finals, ",") != "false,true" {
		t.Errorf("the whole text came in streams with final=%v, want one false and one true", finals)
	}
	if lastInterim > firstFinal {
		t.Errorf("an interim was sent after the final text")
	}
	return segID
}

func (c *client) dump() string {
	var b strings.Builder
	t0 := time.Time{}
	for _, s := range c.streams {
		if t0.IsZero() || s.opened.Before(t0) {
			t0 = s.opened
		}
	}
	rel := func(at time.Time) string {
		if t0.IsZero() {
			return at.Format("15:04:05.000")
		}
		return fmt.Sprintf("%+6dms", at.Sub(t0).Milliseconds())
	}
	for _, s := range c.streams {
		fmt.Fprintf(&b, "%s stream %s from %s %v %q closed=%v\n", rel(s.opened), s.id[:8], s.sender, s.attrs, s.text, s.closed)
	}
	for _, l := range c.legacy {
		fmt.Fprintf(&b, "%s legacy %s %s %q final=%v\n", rel(l.at), l.participant, l.seg.ID, l.seg.Text, l.seg.Final)
	}
	for _, s := range c.states {
		fmt.Fprintf(&b, "%s state %s\n", rel(s.at), s.state)
	}
	// Agent audio as runs of chunks without a gap of 100 ms.
	for i := 0; i < len(c.audio); {
		j, samples, speech := i, 0, 0
		for ; j < len(c.audio) && (j == i || c.audio[j].at.Sub(c.audio[j-1].at) < 100*time.Millisecond); j++ {
			samples += c.audio[j].samples
			if c.audio[j].speech {
				speech += c.audio[j].samples
			}
		}
		fmt.Fprintf(&b, "%s..%s agent audio: %d chunks, %s, %d%% speech\n", rel(c.audio[i].at), rel(c.audio[j-1].at),
			j-i, time.Duration(samples)*time.Second/audio.SampleRate, 100*speech/max(samples, 1))
		i = j
	}
	return b.String()
}
