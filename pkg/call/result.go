package call

import (
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// Result summarises a call that ran.
type Result struct {
	Room     string
	Identity string
	// CallID is the provider's id of the call, when a provider created it.
	CallID string
	// Start is the call's time zero: every offset in the Result, and every
	// event's time, counts from it.
	Start time.Time
	// AgentIdentity and AgentName are the agent's, once it joined.
	AgentIdentity string
	AgentName     string
	// Chat is every chat message of the call, both ways, in order.
	Chat []ChatMessage
	// Reason says why the call ended, in words.
	Reason   string
	Stats    event.CallStats
	Segments []transcript.Segment
	// SegmentsNotKept counts the earliest segments of a long call that
	// the transcript store let go of to stay within its bound.
	SegmentsNotKept int

	// Connected is when the room was joined and AgentJoined when the agent
	// arrived, as offsets from the call's time zero; zero if they did not
	// happen.
	Connected   time.Duration
	AgentJoined time.Duration
	// AudioStart is when the first frame of the user's audio went out,
	// from the call's time zero: the first sample of a recording
	// (Options.Recorder), which holds one frame per frame sent. Zero if
	// none went out.
	AudioStart time.Duration
	// Greeting is what the agent said before the first turn began, if
	// anything: its text and when its audio began (Replied, ReplyStart).
	Greeting *TurnResult
	// Turns are the results of the turns that began, in order: a call
	// that ended early has fewer than it was given.
	Turns []TurnResult
	// AgentStates is every state the agent took, in order.
	AgentStates []string
	// AgentTurns counts the agent's replies: the times it began speaking.
	AgentTurns int
	// Pacing is how truly the user's audio was paced.
	Pacing Pacing
	// AgentMetrics are the figures the agent reported about its replies,
	// in order (agentmetrics.go).
	AgentMetrics []event.AgentTurnMetrics
	// Gaps are the stretches of the call without a connection, in order:
	// the SDK's own recoveries, and the losses a rejoin bridged.
	Gaps []Gap
	// Rejoins counts the times the call joined again after losing its
	// room (Options.Reconnect).
	Rejoins int
}

// ChatMessage is one chat message on lk.chat.
type ChatMessage struct {
	// At is when it was sent (the user's) or received (the agent's), from
	// the call's time zero.
	At       time.Duration
	Speaker  transcript.Speaker
	Identity string
	Text     string
}

// Ending reasons.
const (
	ReasonReplyOver   = "the agent's reply is over"
	ReasonMaxDuration = "maximum duration reached"
	ReasonAgentLeft   = "the agent left"
	ReasonHangup      = "hung up"
	ReasonNoReply     = "the agent did not reply"
)
