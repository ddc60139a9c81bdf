// Package event defines the events of a call as plain data. They are what
// the call loop reports, what renderers draw, and, serialized one per line,
// what `webcall call --format json` prints. The README documents the schema;
// change it only by adding fields.
package event

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
	// Connection: the connection state changed (reconnecting, resumed,
	// reconnected).
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

	// AgentState, Mute.
	State string `json:"state,omitempty"`

	// Transcript.
	Speaker   string `json:"speaker,omitempty"`
	SegmentID string `json:"segment_id,omitempty"`
	Text      string `json:"text,omitempty"`
	Final     *bool  `json:"final,omitempty"`

	// Disconnected, Error, Connection.
	Reason  string `json:"reason,omitempty"`
	Code    int    `json:"code,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message,omitempty"`
	Hint    string `json:"hint,omitempty"`

	// Stats.
	Stats *CallStats `json:"stats,omitempty"`
}

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
}

// Bool returns a pointer to b, for Final.
func Bool(b bool) *bool { return &b }
