package call

import (
	"slices"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/fakeclock"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// testCall is a call whose clock the test drives.
func testCall(t *testing.T) (*call, *fakeclock.Clock, *[]event.Event) {
	t.Helper()
	clk := fakeclock.New(t, time.Unix(1_000_000, 0))
	var evs []event.Event
	c := newCall(Options{
		Clock:  clk,
		Events: func(e event.Event) { evs = append(evs, e) },
	})
	c.agent.openStreams = map[string]bool{}
	return c, clk, &evs
}

var speech = func() []int16 {
	s := make([]int16, 960)
	for i := range s {
		s[i] = int16(6000 * (1 - 2*(i%2)))
	}
	return s
}()

// agentSpeaks feeds d of agent speech into the call's meter, 20 ms at a
// time, advancing the clock.
func agentSpeaks(c *call, clk *fakeclock.Clock, d time.Duration) {
	for end := clk.Now().Add(d); clk.Now().Before(end); clk.Advance(audio.FrameDuration) {
		_ = c.meter.Write(speech)
	}
}

// replyOver is the loop's decision for a one-turn file call whose speech
// ended at speechEnd.
func replyOver(c *call, now, speechEnd time.Time) *turnRun {
	r := &turnRun{turn: Turn{Say: &audio.Clip{}}, started: true, sent: true, start: speechEnd, speechEnd: speechEnd}
	c.judgeReplyOver(now, r)
	return r
}

func TestReplyOver(t *testing.T) {
	c, clk, _ := testCall(t)
	c.timing = DefaultTiming
	speechEnd := clk.Now()
	clk.Advance(1500 * time.Millisecond)

	// The agent starts replying; its state says speaking.
	c.handle(room.ParticipantJoined{Identity: "agent", Agent: true, Attributes: map[string]string{room.AttrAgentState: "listening"}})
	c.handle(room.AttributesChanged{Identity: "agent", Agent: true, Changed: map[string]string{room.AttrAgentState: "speaking"}})
	c.handle(room.StreamOpened{Info: transcript.StreamInfo{StreamID: "s1", Speaker: transcript.SpeakerAgent, Identity: "agent"}})
	agentSpeaks(c, clk, 2*time.Second)
	if replyOver(c, clk.Now(), speechEnd).over {
		t.Fatal("over while the agent talks")
	}
	// A pause between sentences, shorter than ReplyIdle.
	clk.Advance(c.timing.ReplyIdle / 2)
	if replyOver(c, clk.Now(), speechEnd).over {
		t.Fatal("over during a short pause")
	}
	agentSpeaks(c, clk, time.Second)
	// Silent long enough, but the state still says speaking and the
	// caption stream is open: give it more time.
	clk.Advance(c.timing.ReplyIdle)
	if replyOver(c, clk.Now(), speechEnd).over {
		t.Fatal("over while the state says speaking and the caption is open")
	}
	c.handle(room.AttributesChanged{Identity: "agent", Agent: true, Changed: map[string]string{room.AttrAgentState: "listening"}})
	if replyOver(c, clk.Now(), speechEnd).over {
		t.Fatal("over while the caption stream is still open")
	}
	c.handle(room.StreamClosed{StreamID: "s1"})
	if r := replyOver(c, clk.Now(), speechEnd); !r.over || r.timedOut {
		t.Fatalf("not over after silence, listening and a closed caption: %+v", r)
	}
}

// A state stuck on speaking (states are hints) does not hold the call
// open for ever: the audio decides.
func TestReplyOverDespiteStuckState(t *testing.T) {
	c, clk, _ := testCall(t)
	c.timing = DefaultTiming
	speechEnd := clk.Now()
	c.handle(room.ParticipantJoined{Identity: "agent", Agent: true, Attributes: map[string]string{room.AttrAgentState: "speaking"}})
	agentSpeaks(c, clk, time.Second)
	clk.Advance(3 * c.timing.ReplyIdle)
	if !replyOver(c, clk.Now(), speechEnd).over {
		t.Fatal("a stuck speaking state held the call open")
	}
}

func TestNoReply(t *testing.T) {
	c, clk, _ := testCall(t)
	c.timing = DefaultTiming
	speechEnd := clk.Now()
	clk.Advance(c.timing.ReplyTimeout - time.Millisecond)
	if replyOver(c, clk.Now(), speechEnd).over {
		t.Fatal("gave up before ReplyTimeout")
	}
	clk.Advance(time.Millisecond)
	if r := replyOver(c, clk.Now(), speechEnd); !r.over || !r.timedOut {
		t.Fatalf("want a timeout after ReplyTimeout, got %+v", r)
	}
}

func TestReadyToListen(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state string
		since time.Duration
		quiet bool
		want  bool
	}{
		{"listening and quiet", "listening", 1500 * time.Millisecond, true, true},
		{"listening, but just joined: a greeting may be coming", "listening", 500 * time.Millisecond, true, false},
		{"listening but greeting", "listening", 2 * time.Second, false, false},
		{"speaking", "speaking", 2 * time.Second, true, false},
		{"thinking", "thinking", 2 * time.Second, true, false},
		{"no state yet, just joined", "", 100 * time.Millisecond, true, false},
		{"no state after a second", "", 1500 * time.Millisecond, true, true},
		{"never ready: spoken to anyway", "initializing", DefaultTiming.ReadyTimeout, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, clk, _ := testCall(t)
			c.timing = DefaultTiming
			attrs := map[string]string{}
			if tc.state != "" {
				attrs[room.AttrAgentState] = tc.state
			}
			c.handle(room.ParticipantJoined{Identity: "agent", Agent: true, Attributes: attrs})
			if !tc.quiet {
				agentSpeaks(c, clk, tc.since)
			} else {
				clk.Advance(tc.since)
			}
			if got := c.readyToListen(clk.Now()); got != tc.want {
				t.Fatalf("readyToListen = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHandleEvents(t *testing.T) {
	c, _, evs := testCall(t)
	// A person joining is not the agent.
	c.handle(room.ParticipantJoined{Identity: "bob"})
	if c.agent.present {
		t.Fatal("a person counted as the agent")
	}
	c.handle(room.ParticipantJoined{Identity: "agent-1", Name: "", Agent: true, Attributes: map[string]string{room.AttrAgentName: "helper", room.AttrAgentState: "listening"}})
	c.handle(room.AttributesChanged{Identity: "agent-1", Agent: true, Changed: map[string]string{room.AttrAgentState: "listening"}}) // no change
	c.handle(room.AttributesChanged{Identity: "agent-1", Agent: true, Changed: map[string]string{room.AttrAgentState: "thinking"}})
	if err := c.handle(room.Disconnected{Reason: "room closed"}); failure.KindOf(err) != failure.Connect {
		t.Fatalf("a server disconnect is a Connect failure, got %v", err)
	}
	c.handle(room.ParticipantLeft{Identity: "agent-1", Agent: true})
	if !c.ended || c.result.Reason != ReasonAgentLeft {
		t.Fatalf("agent left: ended=%v reason=%q", c.ended, c.result.Reason)
	}
	var got []string
	for _, e := range *evs {
		got = append(got, string(e.Type)+":"+e.Name+e.State)
	}
	want := []string{"agent_joined:helper", "agent_state:listening", "agent_state:thinking", "agent_left:"}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
}

// flushSink records Flush calls: a speaker drops queued audio when the
// agent stops speaking (interrupted or done).
type flushSink struct{ flushed int }

var _ audio.Flusher = (*flushSink)(nil)

func (f *flushSink) Write([]int16) error { return nil }
func (f *flushSink) Close() error        { return nil }
func (f *flushSink) Flush()              { f.flushed++ }

// Queued speaker audio is dropped when the agent stops speaking while the
// user talks (an interruption), and kept when its reply simply ended.
func TestFlushOutputWhenAgentIsInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name      string
		voicedAgo time.Duration // when the user last spoke; 0 for never
		flushes   int
	}{
		{"reply over, user silent", 0, 0},
		{"reply over, user spoke long ago", 3 * time.Second, 0},
		{"interrupted", 200 * time.Millisecond, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, clk, _ := testCall(t)
			fs := &flushSink{}
			c.o.Output = fs
			c.snd = newSender(nil, nil, nil, nil, clk)
			if tc.voicedAgo > 0 {
				c.snd.lastVoiced.Store(clk.Now().Add(-tc.voicedAgo).UnixNano())
			}
			c.handle(room.ParticipantJoined{Identity: "a", Agent: true, Attributes: map[string]string{room.AttrAgentState: "speaking"}})
			c.handle(room.AttributesChanged{Identity: "a", Agent: true, Changed: map[string]string{room.AttrAgentState: "listening"}})
			c.handle(room.AttributesChanged{Identity: "a", Agent: true, Changed: map[string]string{room.AttrAgentState: "thinking"}})
			if fs.flushed != tc.flushes {
				t.Fatalf("flushed %d times, want %d", fs.flushed, tc.flushes)
			}
		})
	}
}

// Each mark is announced when the time left reaches it, not up to a
// minute before; the start is not (the call announced the cap).
func TestCountdown(t *testing.T) {
	type note struct {
		left time.Duration
		msg  string
	}
	var c countdown
	var got []note
	// As the loop sees a 5-minute cap: the first tick comes 50 ms in.
	for left := 5*time.Minute - tickEvery; left > -time.Second; left -= tickEvery {
		if msg := c.note(left); msg != "" {
			got = append(got, note{left, msg})
		}
	}
	want := []note{
		{4 * time.Minute, "4m0s left in this call"},
		{3 * time.Minute, "3m0s left in this call"},
		{2 * time.Minute, "2m0s left in this call"},
		{time.Minute, "1m0s left in this call"},
		{30 * time.Second, "30s left in this call"},
		{10 * time.Second, "10s left in this call"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

// A call that starts below a mark never hears of it: 40 s left is not
// "1m0s left".
func TestCountdownStartingBetweenMarks(t *testing.T) {
	var c countdown
	var got []string
	for left := 40*time.Second - tickEvery; left > 0; left -= tickEvery {
		if msg := c.note(left); msg != "" {
			got = append(got, msg)
		}
	}
	if want := []string{"30s left in this call", "10s left in this call"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// playoutSink reports playback counters, as a speaker does.
type playoutSink struct{ flushSink }

var _ audio.PlayoutReporter = playoutSink{}

func (playoutSink) PlayoutStats() (int64, int64) { return 3, 1 }

// A microphone call (no file, so no reply latency) still reports the
// speaker's underruns and overruns.
func TestStatsReportPlayoutWithoutFile(t *testing.T) {
	c, _, _ := testCall(t)
	c.o.Output = &playoutSink{}
	st := c.stats(newSender(nil, nil, nil, nil, nil))
	if st.PlaybackUnderrun != 3 || st.PlaybackOverrun != 1 || st.ReplyLatencyMS != 0 {
		t.Fatalf("stats %+v", st)
	}
}
