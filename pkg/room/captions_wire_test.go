package room_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/pkg/room"
)

// rawPacket publishes a DataPacket as built: the SDK's stream writer
// waits for every chunk to be acknowledged (200 ms each on loopback), so
// a runaway agent is written packet by packet instead, as agents do.
type rawPacket struct{ p *livekit.DataPacket }

func (r rawPacket) ToProto() *livekit.DataPacket { return r.p }

// Over a real server: an agent that keeps one lk.transcription stream
// open and writing (96 KiB without a trailer) gets its first
// MaxCaptionStreamBytes through, one warning that names it, and nothing
// more; the stream is still read to its end (the SDK would buffer it
// otherwise), so its close arrives when the agent finally sends it.
func TestEndlessCaptionStreamIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local LiveKit server")
	}
	lksdk.SetLogger(protologger.GetDiscardLogger())
	srv := lkserver.Start(t)
	defer leaktest.Check(t)()

	rm, err := room.Join(context.Background(), room.Config{URL: srv.URL, Token: joinToken(t, srv, "captions-wire", "user-1", livekit.ParticipantInfo_STANDARD), TextOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	peer := lksdk.NewRoom(lksdk.NewRoomCallback())
	if err := peer.JoinWithToken(srv.URL, joinToken(t, srv, "captions-wire", "agent-1", livekit.ParticipantInfo_AGENT)); err != nil {
		t.Fatal(err)
	}
	defer peer.Disconnect()

	send := func(p *livekit.DataPacket) {
		t.Helper()
		if err := peer.LocalParticipant.PublishDataPacket(rawPacket{p}, lksdk.WithDataPublishReliable(true)); err != nil {
			t.Fatal(err)
		}
	}
	const id = "TS_endless"
	send(&livekit.DataPacket{Value: &livekit.DataPacket_StreamHeader{StreamHeader: &livekit.DataStream_Header{
		StreamId: id, Timestamp: time.Now().UnixMilli(), Topic: room.TopicTranscription, MimeType: "text/plain",
		Attributes:    map[string]string{room.AttrSegmentID: "SG_endless", room.AttrFinal: "false"},
		ContentHeader: &livekit.DataStream_Header_TextHeader{TextHeader: &livekit.DataStream_TextHeader{OperationType: livekit.DataStream_CREATE}},
	}}})
	// 4 KiB pieces with a character the limit may split.
	piece := strings.Repeat("and on ", 584) + "å "
	const pieces = 24
	start := time.Now()
	for i := range pieces {
		send(&livekit.DataPacket{Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{
			StreamId: id, ChunkIndex: uint64(i), Content: []byte(piece),
		}}})
	}

	var got strings.Builder
	var warnings []string
	deadline := time.After(30 * time.Second)
	for closed := false; !closed; {
		select {
		case ev := <-rm.Events():
			switch e := ev.(type) {
			case room.StreamChunk:
				if len(warnings) > 0 {
					t.Fatalf("text after the warning: %.20q", e.Text)
				}
				got.WriteString(e.Text)
			case room.Warning:
				warnings = append(warnings, e.Message)
				t.Logf("warned after %v: %s", time.Since(start).Round(time.Millisecond), e.Message)
				// The rest is on its way or read; now the agent
				// ends the stream.
				send(&livekit.DataPacket{Value: &livekit.DataPacket_StreamTrailer{StreamTrailer: &livekit.DataStream_Trailer{StreamId: id}}})
			case room.StreamClosed:
				closed = true
			}
		case <-deadline:
			t.Fatalf("after 30 s: %d bytes, warnings %q, no close", got.Len(), warnings)
		}
	}
	if n := got.Len(); n > room.MaxCaptionStreamBytes || n < room.MaxCaptionStreamBytes-4 {
		t.Errorf("%d bytes delivered, want just under %d", n, room.MaxCaptionStreamBytes)
	}
	if !strings.HasPrefix(strings.Repeat(piece, pieces), got.String()) {
		t.Error("what was delivered is not the start of what was sent")
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "agent-1") || !strings.Contains(warnings[0], "64 KiB") {
		t.Errorf("warnings %q, want one naming agent-1 and the limit", warnings)
	}
}
