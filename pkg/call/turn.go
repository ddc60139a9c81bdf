package call

import (
	"github.com/webcall-cli/webcall/pkg/event"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// A Turn is one step of a scripted conversation: the user says something
// (a clip), types something (a chat message), or stays quiet; then the call
// waits for the agent's reply and measures it. Exactly one of Say, Chat or
// Silence is set.
type Turn struct {
	// Say is audio the user speaks, sent in real time.
	Say *audio.Clip
	// Chat is a text message sent on the lk.chat topic, as a user typing.
	Chat string
	// Silence is how long the user stays quiet. The turn lasts that long;
	// a reply the agent gives meanwhile (or has begun by then) is the
	// turn's reply.
	Silence time.Duration

	// BargeIn, when set, starts the turn this long after the agent's reply
	// to the previous turn became audible, instead of after that reply
	// ended: the user interrupts the agent. Only for Say.
	BargeIn *time.Duration

	// ReplyTimeout bounds the wait for the agent's reply, from the end of
	// the user's speech (Say), the message (Chat) or the turn's start
	// (Silence); zero takes Timing.ReplyTimeout.
	ReplyTimeout time.Duration
}

// Kinds of turns, as TurnResult.Kind names them.
const (
	TurnSay     = "say"
	TurnChat    = "chat"
	TurnSilence = "silence"
)

// Kind names what the turn does.
func (t Turn) Kind() string {
	switch {
	case t.Say != nil:
		return TurnSay
	case t.Chat != "":
		return TurnChat
	default:
		return TurnSilence
	}
}

// TurnResult is what the call observed in one turn, as offsets from the
// call's time zero (Options.Start). A zero offset that is not meaningful is
// flagged by its own field (Replied, ...), since zero is a valid offset for
// none of these: the call starts before any turn.
//
// Every time is taken on this client: what it sent when it sent it, what
// it received when the audio path handed it over, so every latency is at
// least what the agent itself sees, plus the network both ways.
type TurnResult struct {
	Index int    // 0-based position in Options.Turns
	Kind  string // TurnSay, TurnChat or TurnSilence

	// Start is when the turn began: its first frame was sent (Say), its
	// message went out (Chat), or its silence began.
	Start time.Duration
	// SpeechStart and SpeechEnd are the first and last voiced frames the
	// user sent in this turn (Say), by audio.SpeechThresholdDBFS per 20 ms
	// frame: what an agent's voice activity detector can hear, not the
	// file's length, whose trailing silence no agent waits for. For Chat
	// both are when the message was sent; for Silence, the turn's start.
	// Voiced is false when a Say clip held no voiced frame at all.
	SpeechStart time.Duration
	SpeechEnd   time.Duration
	Voiced      bool

	// Heard is the user's final transcript as the agent sent it back,
	// for the segments that began during this turn; for Chat, the message.
	Heard string
	// Reply is the agent's final transcript for the segments that began
	// during this turn; for an interrupted reply, only what was spoken.
	Reply string

	// Replied says the agent's audio became audible after SpeechEnd within
	// the reply timeout. ReplyStart is its first audible frame, ReplyEnd
	// its last (the reply's end, or where it stopped when interrupted).
	Replied    bool
	ReplyStart time.Duration
	ReplyEnd   time.Duration
	// TimedOut: no reply came within the reply timeout.
	TimedOut bool

	// FirstCaption is when the first text of the agent's reply arrived;
	// Thinking and Speaking when its state first became "thinking" and
	// "speaking" after SpeechEnd. The Has* fields say whether they did.
	FirstCaption    time.Duration
	HasFirstCaption bool
	Thinking        time.Duration
	HasThinking     bool
	Speaking        time.Duration
	HasSpeaking     bool

	// LongestGap is the longest silence inside the reply between two
	// stretches of its speech (dead air); gaps shorter than
	// audio.OnsetPause are pauses between words and not counted.
	LongestGap time.Duration

	// BargeIn turns: Interrupted says the agent's earlier reply was
	// audible when the user began to speak; StoppedAt is the last audible
	// frame of that reply after the user began, so StoppedAt - SpeechStart
	// is how long the agent talked over the user.
	Interrupted bool
	StoppedAt   time.Duration

	// States are the agent's states (lk.agent.state) seen during the turn,
	// in order, from its start until the next turn starts.
	States []string
	// Agent is what the agent reported of its reply to this turn (its own
	// latency), if it reported anything: the first report that arrived in
	// the turn's window. Agents send it once the reply's playout is over.
	Agent *event.AgentTurnMetrics
}

// Latency is the turn's main figure: end of the user's speech to the
// agent's first audible audio. ok is false when there was no reply.
func (r TurnResult) Latency() (d time.Duration, ok bool) {
	if !r.Replied {
		return 0, false
	}
	return r.ReplyStart - r.SpeechEnd, true
}

// StopLatency is how long the agent kept talking after the user barged
// in: from the user's first voiced frame to the interrupted reply's last
// audible one. ok is false unless the turn interrupted a reply.
func (r TurnResult) StopLatency() (d time.Duration, ok bool) {
	if !r.Interrupted {
		return 0, false
	}
	return max(0, r.StoppedAt-r.SpeechStart), true
}

// Pacing is how truly the user's audio was paced: each frame's lateness
// against its due time on the call's clock. A machine that cannot keep up
// shows here first, before its latencies can be believed.
type Pacing struct {
	Frames int64
	// LateP50, LateP99 and LateMax are the lateness of frames sent.
	LateP50 time.Duration
	LateP99 time.Duration
	LateMax time.Duration
	// Stalls counts the times the sender fell more than audio.MaxPaceLag
	// behind and skipped ahead.
	Stalls int64
}
