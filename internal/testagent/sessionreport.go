package testagent

// The session's own report of each turn, as LiveKit Agents send it: every
// chat message the agent adds to its history goes out as a
// conversation_item_added event in one byte stream on lk.agent.session
// (binary protobuf livekit.agent.AgentSessionMessage), with the metrics
// the agent measured, in seconds. The user's message carries the
// end-of-turn delay; the reply, added when its playout is over, the
// end-to-end latency (its first audio out minus the end of the user's
// speech), which is Fact.Latency of FactReplyStarted. Like the Python
// agents' session host, it is sent to everyone in the room.

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/livekit/protocol/livekit"
	agentpb "github.com/livekit/protocol/livekit/agent"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const topicAgentSession = "lk.agent.session"

// byteChunk is the largest chunk of a byte stream, as the SDKs cut them.
const byteChunk = 15_000

// reportUserTurn reports the user's utterance heard as text, which the
// agent decided was over at decidedAt, lastVoiced being its end.
func (s *session) reportUserTurn(text string, lastVoiced, decidedAt time.Time) {
	s.reportItem(&agentpb.ChatMessage{
		Id:      newItemID(),
		Role:    agentpb.ChatRole_USER,
		Content: textContent(text),
		Metrics: &agentpb.MetricsReport{
			StoppedSpeakingAt: timestamppb.New(lastVoiced),
			EndOfTurnDelay:    proto.Float64(decidedAt.Sub(lastVoiced).Seconds()),
		},
	})
}

// reportReply reports a reply that was said (the words in said) from
// firstAudible to lastAudible, answering t (nil for the greeting). Only a
// reply to speech has an end-to-end latency: a typed turn and the
// greeting have no end of speech to count from.
func (s *session) reportReply(said string, firstAudible, lastAudible time.Time, t *turn, interrupted bool) {
	m := &agentpb.MetricsReport{
		StartedSpeakingAt: timestamppb.New(firstAudible),
		StoppedSpeakingAt: timestamppb.New(lastAudible),
	}
	if t != nil && !t.chat {
		m.E2ELatency = proto.Float64(firstAudible.Sub(t.endedAt).Seconds())
	}
	s.reportItem(&agentpb.ChatMessage{
		Id:          newItemID(),
		Role:        agentpb.ChatRole_ASSISTANT,
		Content:     textContent(said),
		Interrupted: interrupted,
		Metrics:     m,
	})
}

func (s *session) reportItem(m *agentpb.ChatMessage) {
	m.CreatedAt = timestamppb.Now()
	msg := &agentpb.AgentSessionMessage{Message: &agentpb.AgentSessionMessage_Event{Event: &agentpb.AgentSessionEvent{
		CreatedAt: timestamppb.Now(),
		Event: &agentpb.AgentSessionEvent_ConversationItemAdded_{ConversationItemAdded: &agentpb.AgentSessionEvent_ConversationItemAdded{
			Item: &agentpb.ChatContext_ChatItem{Item: &agentpb.ChatContext_ChatItem_Message{Message: m}},
		}},
	}}}
	data, err := proto.Marshal(msg)
	if err == nil {
		err = sendBytes(s.lk.LocalParticipant, topicAgentSession, data)
	}
	if err != nil {
		s.log.Warn("session report not sent", "err", err)
	}
}

func textContent(text string) []*agentpb.ChatMessage_ChatContent {
	return []*agentpb.ChatMessage_ChatContent{{Payload: &agentpb.ChatMessage_ChatContent_Text{Text: text}}}
}

// newItemID is a chat item id in LiveKit Agents' style ("item_" and a
// short random suffix).
func newItemID() string { return "item_" + uuid.NewString()[:12] }

// sendBytes sends data as one complete byte stream on topic: header,
// chunks, trailer.
func sendBytes(pub publisher, topic string, data []byte) error {
	id := uuid.NewString()
	total := uint64(len(data))
	err := publishReliable(pub, &livekit.DataPacket{
		Value: &livekit.DataPacket_StreamHeader{StreamHeader: &livekit.DataStream_Header{
			StreamId:      id,
			Timestamp:     time.Now().UnixMilli(),
			Topic:         topic,
			MimeType:      "application/octet-stream",
			TotalLength:   &total,
			ContentHeader: &livekit.DataStream_Header_ByteHeader{ByteHeader: &livekit.DataStream_ByteHeader{Name: "AS_" + id[:8]}},
		}},
	})
	if err != nil {
		return fmt.Errorf("open byte stream on %s: %w", topic, err)
	}
	for i := uint64(0); len(data) > 0; i++ {
		n := min(len(data), byteChunk)
		err := publishReliable(pub, &livekit.DataPacket{
			Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{StreamId: id, ChunkIndex: i, Content: data[:n]}},
		})
		if err != nil {
			return fmt.Errorf("write byte stream chunk: %w", err)
		}
		data = data[n:]
	}
	err = publishReliable(pub, &livekit.DataPacket{
		Value: &livekit.DataPacket_StreamTrailer{StreamTrailer: &livekit.DataStream_Trailer{StreamId: id}},
	})
	if err != nil {
		return fmt.Errorf("close byte stream: %w", err)
	}
	return nil
}
