package room

// What a LiveKit Agents session says about itself. Current agents (Python
// livekit-agents voice/remote_session.py, Node agents-js
// voice/remote_session.ts) run a "session host" by default: every session
// event goes out as one byte stream on TopicAgentSession, holding one
// protobuf livekit.agent.AgentSessionMessage. Among those events,
// conversation_item_added carries each chat message the agent adds to its
// history, with the metrics it measured for it (seconds, as floats): the
// user's message its transcription and end-of-turn delays, the agent's
// reply its LLM time to first token, TTS time to first byte and its own
// end-to-end latency. The reply's item is added when its playout is over.
//
// Only those items are read here; every other session event (state
// changes, usage, tool calls) and every request or response is ignored:
// the agent's state already arrives as an attribute.

import (
	"io"
	"math"

	agentpb "github.com/livekit/protocol/livekit/agent"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"google.golang.org/protobuf/proto"
)

// TopicAgentSession is LiveKit Agents' byte-stream topic for session
// messages (AgentSessionMessage, binary protobuf).
const TopicAgentSession = "lk.agent.session"

// maxSessionMessage bounds one session message read: the events read here
// are small, and a larger stream (a chat history sent to someone else) is
// not one of them.
const maxSessionMessage = 1 << 20

// Roles of AgentChatItem.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// AgentChatItem: the agent added a chat message to its history and
// reported it on TopicAgentSession, with the figures it measured for it
// in milliseconds (nil: not reported).
type AgentChatItem struct {
	Identity    string
	ItemID      string
	Role        string // RoleUser, RoleAssistant, or another role the agent names
	Interrupted bool

	// The user's message.
	TranscriptionDelayMS *float64
	EndOfTurnMS          *float64
	// The agent's reply.
	LLMTTFTMS    *float64
	TTSTTFBMS    *float64
	E2ELatencyMS *float64
}

func (AgentChatItem) roomEvent() {}

// onSessionStream runs on its own goroutine (the SDK starts one per
// stream); reading ends when the stream closes, or when Close makes the
// SDK close every open stream.
func (r *Room) onSessionStream(reader *lksdk.ByteStreamReader, sender string) {
	data, ok := readSession(reader, maxSessionMessage)
	if !ok || len(data) == 0 {
		return
	}
	if item, ok := decodeSessionMessage(data, sender); ok {
		r.queue.push(item)
	}
}

// readSession reads one session message of at most limit bytes, and
// reports whether it was whole and within the limit. A longer stream is
// read to its end and dropped: the SDK buffers what is not read (its
// ReadAll holds the whole stream), so only reading as it comes keeps the
// memory a runaway stream takes bounded.
func readSession(rd io.Reader, limit int64) ([]byte, bool) {
	data, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, false
	}
	if int64(len(data)) > limit {
		io.Copy(io.Discard, rd)
		return nil, false
	}
	return data, true
}

// decodeSessionMessage returns the chat item a session message reports,
// if it reports one. A message that does not parse is dropped: it is an
// optional extra, and a newer agent may send what this version does not
// know.
func decodeSessionMessage(data []byte, sender string) (AgentChatItem, bool) {
	var msg agentpb.AgentSessionMessage
	if err := proto.Unmarshal(data, &msg); err != nil {
		return AgentChatItem{}, false
	}
	m := msg.GetEvent().GetConversationItemAdded().GetItem().GetMessage()
	if m == nil {
		return AgentChatItem{}, false
	}
	item := AgentChatItem{
		Identity:    sender,
		ItemID:      m.GetId(),
		Role:        roleName(m.GetRole()),
		Interrupted: m.GetInterrupted(),
	}
	if x := m.GetMetrics(); x != nil {
		item.TranscriptionDelayMS = millis(x.TranscriptionDelay)
		item.EndOfTurnMS = millis(x.EndOfTurnDelay)
		item.LLMTTFTMS = millis(x.LlmNodeTtft)
		item.TTSTTFBMS = millis(x.TtsNodeTtfb)
		item.E2ELatencyMS = millis(x.E2ELatency)
	}
	return item, true
}

func roleName(r agentpb.ChatRole) string {
	switch r {
	case agentpb.ChatRole_USER:
		return RoleUser
	case agentpb.ChatRole_ASSISTANT:
		return RoleAssistant
	case agentpb.ChatRole_SYSTEM:
		return "system"
	case agentpb.ChatRole_DEVELOPER:
		return "developer"
	}
	return "unknown"
}

// millis turns seconds into milliseconds to a tenth, keeping "not
// reported" (nil) and dropping what no clock measures (negative, NaN).
func millis(sec *float64) *float64 {
	if sec == nil || math.IsNaN(*sec) || math.IsInf(*sec, 0) || *sec < 0 {
		return nil
	}
	ms := math.Round(*sec*10000) / 10
	return &ms
}
