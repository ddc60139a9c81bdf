// Package event defines the events of a call as plain data. They are what
// the call loop reports, what renderers draw, and, serialized one per line,
// what `webcall call --format json` prints. The README documents the schema
// and schema/events.schema.json defines it.
//
// Every printed event carries the schema's version in "v". Adding a type
// or a field keeps the version; renaming or removing one, or changing what
// a field means, raises it.
package event

// SchemaVersion is the version of the JSON event schema, printed in every
// event's "v" field.
const SchemaVersion = 1

// Type names an event in the JSON stream.
type Type string

const (
	// Connected: the room was joined.
	Connected Type = "connected"
	// AgentJoined: an agent participant is in the room.
	AgentJoined Type = "agent_joined"
	// AgentLeft: the agent left the room.
	AgentLeft Type = "agent_left"
	// AgentState: the agent's lk.agent.state attribute changed.
	AgentState Type = "agent_state"
	// Transcript: a caption was shown or replaced (interim) or settled
	// (final). Interim events for a segment are superseded by later events
	// with the same segment_id.
	Transcript Type = "transcript"
	// InputDone: the input file has been sent completely.
	InputDone Type = "input_done"
	// Connection: the connection state changed; State is one of the
	// Conn* states.
	Connection Type = "connection"
	// Disconnected: the call is over; Reason says why.
	Disconnected Type = "disconnected"
	// Error: the call failed; Code is the exit code the process returns.
	Error Type = "error"
	// Stats: numbers about the call, sent once at the end.
	Stats Type = "stats"
	// Mute: the user muted or unmuted the microphone (the m key on a
	// terminal); State is MuteOn or MuteOff.
	Mute Type = "mute"
	// Chat: a chat message on lk.chat, typed by the user (Speaker user,
	// sent by webcall) or sent by the agent (Speaker agent). Text is the
	// whole message.
	Chat Type = "chat"
	// Warning: something went wrong that the call survives: a device that
	// went quiet and was restarted, playback that ran dry. Kind is one of
	// the Warn* kinds; Message says what happened in words.
	Warning Type = "warning"
	// AgentMetrics: figures the agent itself reported about a turn (its
	// own latency, as LiveKit Agents measure it), in Metrics.
	AgentMetrics Type = "agent_metrics"
)

// States of Connection events. Reconnecting and Reconnected are the
// LiveKit SDK's own recovery (a resume, or a full reconnect with the same
// token). Lost: the SDK did not recover within webcall's bound, and the
// room was left. Rejoining and Rejoined are webcall's reconnect policy:
// each attempt to join again with fresh credentials (Attempt of
// MaxAttempts, after DelayMS), and the success (GapMS without a
// connection).
const (
	ConnReconnecting = "reconnecting"
	ConnReconnected  = "reconnected"
	ConnLost         = "lost"
	ConnRejoining    = "rejoining"
	ConnRejoined     = "rejoined"
)

// Kinds of Warning events.
const (
	// WarnDevice: a sound device went quiet and was restarted, or could
	// not be.
	WarnDevice = "device"
	// WarnBuffer: the agent's playback ran dry in the middle of its
	// speech (underrun) or fell behind and dropped audio (overrun).
	WarnBuffer = "buffer"
	// WarnMedia: the agent's audio could not be received or decoded.
	WarnMedia = "media"
)

// States of Mute events.
const (
	MuteOn  = "muted"
	MuteOff = "unmuted"
)

// Speakers in Transcript events.
const (
	SpeakerUser  = "user"
	SpeakerAgent = "agent"
)

// Event is one thing that happened in a call. Fields that do not apply to
// a Type are left empty and omitted from JSON.
type Event struct {
	// V is the schema version, SchemaVersion; the JSON renderer sets it.
	V    int  `json:"v"`
	Type Type `json:"type"`
	// TimeMS is the time since the call started (the command began), in
	// milliseconds.
	TimeMS int64 `json:"time_ms"`

	// Connected, AgentJoined, AgentLeft, AgentState, Transcript.
	Room     string `json:"room,omitempty"`
	Identity string `json:"identity,omitempty"`
	Name     string `json:"name,omitempty"`
	CallID   string `json:"call_id,omitempty"`
	URL      string `json:"url,omitempty"`
	// LimitMS (Connected) is how long the call may last from here, in
	// milliseconds: the smaller of the caller's maximum and the
	// provider's cap. Omitted when there is none.
	LimitMS int64 `json:"limit_ms,omitempty"`

	// AgentState, Mute, Connection.
	State string `json:"state,omitempty"`
	// Connection (rejoining): which attempt this is, of how many at
	// most, and how long webcall waits before it.
	Attempt     int   `json:"attempt,omitempty"`
	MaxAttempts int   `json:"max_attempts,omitempty"`
	DelayMS     int64 `json:"delay_ms,omitempty"`
	// Connection (reconnected, rejoined): how long the call was without a
	// connection, in milliseconds.
	GapMS int64 `json:"gap_ms,omitempty"`

	// Transcript, Chat (Speaker, Identity and Text).
	Speaker   string `json:"speaker,omitempty"`
	SegmentID string `json:"segment_id,omitempty"`
	Text      string `json:"text,omitempty"`
	Final     *bool  `json:"final,omitempty"`

	// Disconnected, Error, Warning (Kind, Message).
	Reason  string `json:"reason,omitempty"`
	Code    int    `json:"code,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message,omitempty"`
	Hint    string `json:"hint,omitempty"`

	// Stats.
	Stats *CallStats `json:"stats,omitempty"`

	// AgentMetrics.
	Metrics *AgentTurnMetrics `json:"metrics,omitempty"`
}

// AgentTurnMetrics are what an agent reported about one of its replies,
// in milliseconds; fields it did not report are omitted. Source names what
// the agent sent them on (SourceAgentSession), so that figures from
// different agent frameworks are not confused.
//
// LiveKit Agents (Python and Node) report them in the metrics of the
// conversation items they add to the chat history: the user's message
// carries the transcription and end-of-turn delays, the agent's reply the
// model, synthesis and end-to-end figures. One AgentTurnMetrics puts a
// reply's figures together with those of the user message it answered.
type AgentTurnMetrics struct {
	Source string `json:"source"`
	// ItemID is the agent's id of the reply's chat item, tying the figures
	// to one reply.
	ItemID string `json:"item_id,omitempty"`
	// Interrupted: the user cut the reply short.
	Interrupted bool `json:"interrupted,omitempty"`
	// TranscriptionDelayMS: from the end of the user's speech to its
	// final transcript.
	TranscriptionDelayMS *float64 `json:"transcription_delay_ms,omitempty"`
	// EndOfTurnMS: from the end of the user's speech to the agent's
	// decision that the user's turn was over.
	EndOfTurnMS *float64 `json:"end_of_turn_ms,omitempty"`
	// LLMTTFTMS: the language model's time to first token.
	LLMTTFTMS *float64 `json:"llm_ttft_ms,omitempty"`
	// TTSTTFBMS: the speech synthesizer's time to first byte.
	TTSTTFBMS *float64 `json:"tts_ttfb_ms,omitempty"`
	// E2ELatencyMS: the agent's own end-to-end figure, from the end of the
	// user's speech (as its voice activity detector saw it) to its first
	// audio out.
	E2ELatencyMS *float64 `json:"e2e_latency_ms,omitempty"`
}

// SourceAgentSession is the Source of figures read from LiveKit Agents'
// session messages (the lk.agent.session byte-stream topic).
const SourceAgentSession = "lk.agent.session"

// CallStats are the numbers reported at the end of a call.
type CallStats struct {
	DurationMS      int64 `json:"duration_ms"`
	SentMS          int64 `json:"sent_audio_ms"`
	ReceivedMS      int64 `json:"received_audio_ms"`
	FirstAgentAudio int64 `json:"first_agent_audio_ms,omitempty"`
	// ReplyLatencyMS runs from the end of the input file's speech (its
	// last voiced frame sent, by the speech threshold, not the end of the
	// file, whose trailing silence no agent waits for) to the agent's
	// first audible reply, as this client saw them: never below what the
	// agent itself measures, since both ends add the network.
	ReplyLatencyMS   int64 `json:"reply_latency_ms,omitempty"`
	PlaybackUnderrun int64 `json:"playback_underruns,omitempty"`
	PlaybackOverrun  int64 `json:"playback_overruns,omitempty"`
	// AgentE2ELatencyMS is the agent's own figure for the same reply
	// (AgentTurnMetrics.E2ELatencyMS), when it reported one: beside
	// ReplyLatencyMS, it shows how much of the wait the network and the
	// client's playout added.
	AgentE2ELatencyMS *float64 `json:"agent_e2e_latency_ms,omitempty"`
}

// Bool returns a pointer to b, for Final.
func Bool(b bool) *bool { return &b }
