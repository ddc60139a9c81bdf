// Package call runs one voice call: credentials, room, audio pumps,
// captions, and the decision that the call is over.
//
// Run is the whole story, top to bottom. Besides the goroutine that calls
// it and those of the room, it owns one goroutine:
//   - the sender, which reads 20 ms frames from the input Source (paced by
//     the device's clock, or for a file by audio.PacedWithClock on the
//     call's Clock) and writes them to the published microphone track and
//     the recorder. It always sends something: silence before the input
//     starts, between words and after it ends, because gaps break RTP
//     timing and the agent's end-of-speech detection.
//
// Every other decision is taken by the loop in Run, which is the only place
// that reacts to room events. The sender ends, and the input is closed,
// before Run returns.
//
// A scripted call (Options.File, or Options.Turns) is a plan of turns
// (turns.go): the loop starts each turn when the agent is ready for it (or,
// for a barge-in, while it speaks), hands its clip to the sender through a
// scriptReader, and ends the turn when its reply is over. What each turn
// measured is worked out once the call has ended, from what the sender
// marked (each clip's first and last voiced frame) and what arrived.
package call

import (
	"context"
	"fmt"
	"time"

	protologger "github.com/livekit/protocol/logger"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/token"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// Options describe one call. Credentials and exactly one of Input, File,
// Turns or (with Text) Chat are required; everything else has a default.
type Options struct {
	Credentials token.Source

	// Input is a live source (a microphone): the call lasts until the user
	// hangs up, the agent leaves, or MaxDuration.
	Input audio.Source
	// File is a recorded utterance. It is sent once the agent is ready to
	// listen, and the call ends by itself when the agent's reply is over;
	// no reply is an error of Kind Check. It is one Turn, judged here.
	File *audio.Clip
	// Turns are a scripted conversation, taken in order, each once the
	// agent is ready to listen (or, for a barge-in, while it speaks). The
	// call ends once the last turn's reply is over. A turn without a
	// reply is not an error: Result.Turns says what happened, for the
	// caller to judge.
	Turns []Turn

	// Text makes a text-only call: nothing is published, the agent's audio
	// is not subscribed (Output and the recorder's agent side get
	// nothing), and the agent's replies are judged by its text. The user
	// speaks through Chat or through Turns that are all Chat turns; Input
	// and File must be nil. With Chat and no Turns, the call ends once
	// Chat is closed and the reply to its last line is over.
	Text bool
	// Chat, if set, delivers lines the user types during the call; each
	// is sent to the agent on lk.chat as it arrives (or, before the agent
	// is there to read it, once it is). Closing it ends a Text call (see
	// Text); in other calls it only stops the typing.
	Chat <-chan string
	// ChatTurns holds each line of Chat until the agent's reply to the
	// line before is over, as Turns do: for lines from a script or a
	// pipe. Without it each line goes out as it arrives, as a person
	// types, and may interrupt the agent.
	ChatTurns bool

	// Output receives the agent's audio as it arrives (a speaker, a WAV
	// file). Nil discards it.
	Output audio.Sink
	// Recorder, if set, records both sides on one timeline.
	Recorder *audio.Recorder
	// Run never writes to Output or Recorder after it returns; closing
	// them (or discarding them, for a call that never connected) is the
	// caller's.

	// Events receives every event of the call, in order, from Run's
	// goroutine. It must not block for long.
	Events func(event.Event)
	// Status receives short progress messages for people ("waiting for
	// the agent (5s)"). Nil discards them.
	Status func(string)
	// OnCredentials is called as soon as credentials are known, before
	// they are used, so that the caller can register them for redaction.
	OnCredentials func(token.Credentials)

	Timing Timing
	// Reconnect, if set, rejoins a call whose room was lost (reconnect.go)
	// with fresh credentials from Credentials; nil ends the call with a
	// Connect error instead.
	Reconnect *Reconnect
	// Join joins the room; nil means a LiveKit room (pkg/room). Tests and
	// other transports put their own here.
	Join JoinFunc
	// Logger receives the LiveKit SDK's logs when Join is nil. Nil keeps
	// them quiet.
	Logger protologger.Logger
	// Clock is where the call reads the time and sets its timers (the end
	// of a reply, timeouts, the pacing of a file); nil means the system
	// clock. Tests pass a fake one and move it by hand.
	Clock audio.Clock
	// Start is the call's time zero for event times; zero means
	// Clock.Now() when Run starts.
	Start time.Time
}

// Timing holds the durations that shape a call. Zero values take the
// defaults of DefaultTiming.
type Timing struct {
	// ConnectTimeout bounds joining the room.
	ConnectTimeout time.Duration
	// WaitAgent bounds the wait for an agent after joining.
	WaitAgent time.Duration
	// MaxDuration caps the call (0: no cap, unless the provider has one).
	MaxDuration time.Duration
	// LeadSilence is sent before the first clip. After the last clip the
	// call sends silence for at least TrailSilence before it may end:
	// without it an agent may never decide the user has stopped, and a
	// recording would end on the user's last word.
	LeadSilence  time.Duration
	TrailSilence time.Duration
	// ReplyIdle is how long the agent must be silent (no speech on its
	// track) before its reply counts as over; a caption stream still open
	// or a state still "speaking" stretch it to 2 and 3 ReplyIdle. The
	// agent's track sends no packets between replies, so this is judged by
	// the Clock since the last speech, not by counting the audio received.
	ReplyIdle time.Duration
	// ReplyTimeout bounds the wait for a reply, from the end of the
	// user's speech (its last voiced frame sent).
	ReplyTimeout time.Duration
	// ReadyTimeout bounds the wait for the agent to be ready to listen
	// (state listening, greeting finished) before a file is sent anyway.
	ReadyTimeout time.Duration
	// Settle is how long after the agent joins a file waits at least, so
	// that a greeting has begun before webcall decides nobody is talking.
	Settle time.Duration
	// RecoverTimeout bounds the LiveKit SDK's own recovery of a broken
	// connection (resume, then full reconnects): from its first
	// "reconnecting", a room that has not reconnected within it is lost
	// (reconnect.go). The SDK alone would try for about a minute.
	RecoverTimeout time.Duration
}

// DefaultTiming is what a call uses where Options.Timing leaves a zero.
var DefaultTiming = Timing{
	ConnectTimeout: 10 * time.Second,
	WaitAgent:      20 * time.Second,
	LeadSilence:    300 * time.Millisecond,
	TrailSilence:   1500 * time.Millisecond,
	ReplyIdle:      1200 * time.Millisecond,
	ReplyTimeout:   30 * time.Second,
	ReadyTimeout:   10 * time.Second,
	Settle:         time.Second,
	RecoverTimeout: 15 * time.Second,
}

func (t Timing) withDefaults() Timing {
	d := DefaultTiming
	pick := func(v, def time.Duration) time.Duration {
		if v == 0 {
			return def
		}
		return v
	}
	return Timing{
		ConnectTimeout: pick(t.ConnectTimeout, d.ConnectTimeout),
		WaitAgent:      pick(t.WaitAgent, d.WaitAgent),
		MaxDuration:    t.MaxDuration,
		LeadSilence:    pick(t.LeadSilence, d.LeadSilence),
		TrailSilence:   pick(t.TrailSilence, d.TrailSilence),
		ReplyIdle:      pick(t.ReplyIdle, d.ReplyIdle),
		ReplyTimeout:   pick(t.ReplyTimeout, d.ReplyTimeout),
		ReadyTimeout:   pick(t.ReadyTimeout, d.ReadyTimeout),
		Settle:         pick(t.Settle, d.Settle),
		RecoverTimeout: pick(t.RecoverTimeout, d.RecoverTimeout),
	}
}

// Run makes the call and returns when it is over. Cancelling ctx hangs up
// cleanly; Run then returns a *failure.Error of Kind Interrupted (the
// caller may re-classify it, e.g. for SIGTERM) along with the Result.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Credentials == nil {
		return Result{}, failure.New(failure.Usage, "no credentials for the call").WithCond(ErrNoCredentials).
			WithHint("give a source of credentials: a ready token, an API key and secret to mint one, or a token endpoint")
	}
	inputs := 0
	for _, set := range []bool{o.Input != nil, o.File != nil, len(o.Turns) > 0, o.Text && o.Chat != nil && len(o.Turns) == 0} {
		if set {
			inputs++
		}
	}
	if inputs != 1 {
		return Result{}, failure.New(failure.Internal, "call needs exactly one of a live input, a file, turns or (text only) chat lines")
	}
	if o.Text {
		if o.Input != nil || o.File != nil {
			return Result{}, failure.New(failure.Internal, "a text-only call takes no audio input")
		}
		for i, t := range o.Turns {
			if t.Kind() != TurnChat {
				return Result{}, failure.Newf(failure.Internal, "turn %d of a text-only call is not a chat message", i+1)
			}
		}
	}
	for i, t := range o.Turns {
		if t.BargeIn != nil && t.Say == nil {
			return Result{}, failure.Newf(failure.Internal, "turn %d barges in but says nothing", i+1)
		}
	}
	return newCall(o).run(ctx)
}

type call struct {
	o      Options
	snd    *sender // nil until the microphone track is published
	timing Timing
	clock  audio.Clock
	start  time.Time

	store  *transcript.Store
	meter  *audio.Meter
	agent  agentTracker
	result Result
	ended  bool
	// plan is the scripted conversation (a file is one turn); nil for a
	// live input. script feeds its clips to the sender.
	plan   *plan
	script *scriptReader
	paced  *audio.PacedSource
	states []stateAt
	// countdown: show the time left, because the provider caps the call.
	countdown bool
	// reports holds what the agent reported and the call has not yet
	// made an event of (agentmetrics.go).
	reports agentReports
	// playout is what the speaker's buffer reported last (warnings.go).
	playout playoutWatch
	// chat is the typed lines and chat turns (chat.go).
	chat chatState
	// link is the connection, gaps the outages it has had (reconnect.go).
	link link
	gaps []gapAt
	// agentAudio is where the agent's audio goes, in every room joined.
	agentAudio audio.Sink
}

func newCall(o Options) *call {
	c := &call{o: o, timing: o.Timing.withDefaults(), clock: o.Clock}
	if c.clock == nil {
		c.clock = audio.SystemClock
	}
	c.start = o.Start
	if c.start.IsZero() {
		c.start = c.now()
	}
	c.result.Start = c.start
	if c.o.Events == nil {
		c.o.Events = func(event.Event) {}
	}
	if c.o.Status == nil {
		c.o.Status = func(string) {}
	}
	switch {
	case o.File != nil:
		c.plan = newPlan([]Turn{{Say: o.File}})
	case len(o.Turns) > 0:
		c.plan = newPlan(o.Turns)
	}
	c.chat.in = o.Chat
	c.store = transcript.NewStore(transcript.Options{})
	c.meter = audio.NewMeter(c.clock)
	return c
}

func (c *call) now() time.Time { return c.clock.Now() }

func (c *call) ms(t time.Time) int64 { return t.Sub(c.start).Milliseconds() }

func (c *call) emit(e event.Event) {
	if e.TimeMS == 0 {
		e.TimeMS = c.ms(c.now())
	}
	c.o.Events(e)
}

func (c *call) run(ctx context.Context) (Result, error) {
	c.o.Status("getting credentials")
	creds, err := c.o.Credentials.Fetch(ctx)
	if err != nil {
		return c.result, c.interruptedOr(ctx, err)
	}
	if c.o.OnCredentials != nil {
		c.o.OnCredentials(creds)
	}
	if err := token.CheckExpiry(creds.Token, c.now()); err != nil {
		return c.result, err
	}
	maxDur := c.timing.MaxDuration
	if creds.MaxDuration > 0 && (maxDur == 0 || creds.MaxDuration < maxDur) {
		maxDur = creds.MaxDuration
	}

	// The agent's audio goes to the output, the recorder and the meter that
	// tells when the agent stops talking.
	sinks := []audio.Sink{c.meter}
	if c.o.Output != nil {
		sinks = append(sinks, c.o.Output)
	}
	if c.o.Recorder != nil {
		sinks = append(sinks, c.o.Recorder.Agent())
	}

	if creds.CallID != "" {
		c.o.Status(fmt.Sprintf("%s created call %s in room %s", creds.Provider, creds.CallID, creds.Room))
	}
	if creds.Provider != "" && !creds.ExpiresAt.IsZero() {
		c.o.Status(fmt.Sprintf("the token must be used within %s", creds.ExpiresAt.Sub(c.now()).Round(time.Second)))
	}
	if creds.MaxDuration > 0 {
		c.o.Status(fmt.Sprintf("the provider ends calls after %s", creds.MaxDuration))
		c.countdown = true
	}
	c.o.Status(fmt.Sprintf("connecting to %s", creds.URL))
	c.agentAudio = audio.Tee(sinks...)
	rm, err := c.join(ctx, creds)
	if err != nil {
		return c.result, c.interruptedOr(ctx, err)
	}
	c.link.rm, c.link.creds = rm, creds
	// The room may be replaced by a rejoin: the one open at the end is
	// closed.
	defer func() {
		c.stopRetry()
		if c.link.rm != nil {
			c.link.rm.Close()
		}
	}()
	joinedAt := c.now()
	c.link.joinedAt = joinedAt
	c.result.Connected = c.since(joinedAt)
	c.result.Room, c.result.Identity, c.result.CallID = rm.Name(), rm.Identity(), creds.CallID
	c.emit(event.Event{Type: event.Connected, Room: rm.Name(), Identity: rm.Identity(), URL: creds.URL, CallID: creds.CallID, LimitMS: maxDur.Milliseconds()})
	c.o.Status(fmt.Sprintf("joined room %s as %s", rm.Name(), rm.Identity()))

	// The sender runs until sendCtx ends; Run waits for it before leaving.
	// A text-only call publishes nothing and has a sender that never
	// starts: it sends nothing and its channels stay quiet.
	var src audio.Source
	var track FrameWriter
	if !c.o.Text {
		track, err = rm.PublishMicrophone()
		if err != nil {
			return c.result, c.interruptedOr(ctx, err)
		}
		src = c.o.Input
		if c.plan != nil {
			c.script = newScriptReader()
			c.paced = audio.PacedWithClock(c.script, c.clock)
			src = c.paced
		}
	}
	sendCtx, stopSending := context.WithCancel(ctx)
	snd := newSender(src, track, c.o.Recorder, c.script, c.clock)
	c.snd = snd
	if src != nil {
		go snd.run(sendCtx)
	}

	endErr := c.loop(ctx, joinedAt, maxDur, snd)
	stopSending()
	if src != nil {
		snd.wait()
		_ = src.Close()
	}
	if !snd.firstSent.IsZero() {
		c.result.AudioStart = c.since(snd.firstSent)
	}
	if endErr == nil && snd.err != nil {
		endErr = snd.err
	}

	// Settle whatever captions are still open: nothing said is lost.
	c.applyChanges(c.store.Flush(c.now()))
	c.result.Segments = c.store.Segments()
	c.result.SegmentsNotKept = c.store.Dropped()
	c.result.Gaps = c.resultGaps(c.now())
	if c.plan != nil {
		c.result.Greeting, c.result.Turns = c.results(c.now())
	}
	if c.paced != nil {
		c.result.Pacing = c.pacing()
	}
	c.result.AgentStates = make([]string, len(c.states))
	for i, st := range c.states {
		c.result.AgentStates[i] = st.state
		if st.state == "speaking" {
			c.result.AgentTurns++
		}
	}
	c.result.Stats = c.stats(snd)
	c.emit(event.Event{Type: event.Stats, Stats: &c.result.Stats})
	if note := latencyNote(c.result.Stats); note != "" {
		c.o.Status(note)
	}
	reason := c.result.Reason
	if endErr != nil {
		reason = endErr.Error()
	}
	c.emit(event.Event{Type: event.Disconnected, Reason: reason})
	return c.result, endErr
}

// join joins the room creds name, with the agent's audio going where it
// goes for the whole call.
func (c *call) join(ctx context.Context, creds token.Credentials) (Room, error) {
	join := c.o.Join
	if join == nil {
		join = joinLiveKit(c.o.Logger)
	}
	return join(ctx, JoinConfig{
		URL:            creds.URL,
		Token:          creds.Token,
		ConnectTimeout: c.timing.ConnectTimeout,
		AgentAudio:     c.agentAudio,
		TextOnly:       c.o.Text,
	})
}

// pacing reports how truly the scripted audio went out.
func (c *call) pacing() Pacing {
	l := c.paced.Lateness()
	return Pacing{
		Frames:  l.Count(),
		LateP50: l.Quantile(0.5),
		LateP99: l.Quantile(0.99),
		LateMax: l.Max(),
		Stalls:  c.paced.Stats().Stalls,
	}
}

func (c *call) interruptedOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return failure.Wrap(failure.Interrupted, ctx.Err(), "interrupted")
	}
	return err
}

func (c *call) stats(s *sender) event.CallStats {
	st := event.CallStats{
		DurationMS: c.ms(c.now()),
		SentMS:     s.frames() * int64(audio.FrameDuration/time.Millisecond),
		ReceivedMS: c.meter.Samples() * 1000 / audio.SampleRate,
	}
	if first := c.meter.FirstSpeech(); !first.IsZero() {
		st.FirstAgentAudio = c.ms(first)
	}
	if c.o.File != nil && len(c.result.Turns) == 1 {
		if d, ok := c.result.Turns[0].Latency(); ok {
			st.ReplyLatencyMS = d.Milliseconds()
		}
	}
	st.AgentE2ELatencyMS = c.agentE2E()
	if ps, ok := c.o.Output.(audio.PlayoutReporter); ok {
		st.PlaybackUnderrun, st.PlaybackOverrun = ps.PlayoutStats()
	}
	return st
}
