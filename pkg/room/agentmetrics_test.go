package room

import (
	"testing"

	agentpb "github.com/livekit/protocol/livekit/agent"
	"google.golang.org/protobuf/proto"
)

func sessionItem(t *testing.T, m *agentpb.ChatMessage) []byte {
	t.Helper()
	msg := &agentpb.AgentSessionMessage{Message: &agentpb.AgentSessionMessage_Event{Event: &agentpb.AgentSessionEvent{
		Event: &agentpb.AgentSessionEvent_ConversationItemAdded_{ConversationItemAdded: &agentpb.AgentSessionEvent_ConversationItemAdded{
			Item: &agentpb.ChatContext_ChatItem{Item: &agentpb.ChatContext_ChatItem_Message{Message: m}},
		}},
	}}}
	b, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeSessionMessage(t *testing.T) {
	reply := sessionItem(t, &agentpb.ChatMessage{
		Id: "item_7", Role: agentpb.ChatRole_ASSISTANT, Interrupted: true,
		Metrics: &agentpb.MetricsReport{LlmNodeTtft: proto.Float64(0.2504), TtsNodeTtfb: proto.Float64(0.1), E2ELatency: proto.Float64(0.91234)},
	})
	item, ok := decodeSessionMessage(reply, "agent-1")
	if !ok {
		t.Fatal("a conversation item was not decoded")
	}
	if item.Identity != "agent-1" || item.ItemID != "item_7" || item.Role != RoleAssistant || !item.Interrupted {
		t.Errorf("item %+v", item)
	}
	for name, got := range map[string]*float64{"llm": item.LLMTTFTMS, "tts": item.TTSTTFBMS, "e2e": item.E2ELatencyMS} {
		if got == nil {
			t.Fatalf("%s not reported", name)
		}
	}
	if *item.LLMTTFTMS != 250.4 || *item.TTSTTFBMS != 100 || *item.E2ELatencyMS != 912.3 {
		t.Errorf("seconds to ms: llm %v tts %v e2e %v", *item.LLMTTFTMS, *item.TTSTTFBMS, *item.E2ELatencyMS)
	}
	if item.EndOfTurnMS != nil || item.TranscriptionDelayMS != nil {
		t.Errorf("unreported figures present: %+v", item)
	}

	user, ok := decodeSessionMessage(sessionItem(t, &agentpb.ChatMessage{
		Id: "item_6", Role: agentpb.ChatRole_USER,
		Metrics: &agentpb.MetricsReport{EndOfTurnDelay: proto.Float64(0.6), TranscriptionDelay: proto.Float64(-1)},
	}), "agent-1")
	if !ok || user.Role != RoleUser || user.EndOfTurnMS == nil || *user.EndOfTurnMS != 600 {
		t.Errorf("user item %+v", user)
	}
	if user.TranscriptionDelayMS != nil {
		t.Errorf("a negative delay was kept: %v", *user.TranscriptionDelayMS)
	}

	// Not a chat message, or not a session message at all: nothing.
	other, _ := proto.Marshal(&agentpb.AgentSessionMessage{Message: &agentpb.AgentSessionMessage_Event{Event: &agentpb.AgentSessionEvent{
		Event: &agentpb.AgentSessionEvent_AgentStateChanged_{AgentStateChanged: &agentpb.AgentSessionEvent_AgentStateChanged{}},
	}}})
	for name, data := range map[string][]byte{"state change": other, "garbage": []byte("\xff\xff\xff not protobuf")} {
		if item, ok := decodeSessionMessage(data, "agent-1"); ok {
			t.Errorf("%s decoded as %+v", name, item)
		}
	}
}
