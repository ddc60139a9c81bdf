package testagent

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// Names on the wire, spelled out here rather than imported from pkg/room:
// the test agent is the client's oracle, so it must not share the client's
// typos.
const (
	topicTranscription   = "lk.transcription"
	topicChat            = "lk.chat"
	attrSegmentID        = "lk.segment_id"
	attrFinal            = "lk.transcription_final"
	attrTranscribedTrack = "lk.transcribed_track_id"
	attrAgentState       = "lk.agent.state"
	attrAgentName        = "lk.agent.name"
)

// Values of lk.agent.state this agent goes through.
const (
	stateListening = "listening"
	stateThinking  = "thinking"
	stateSpeaking  = "speaking"
)

// publisher is what the wire helpers need from a room: the SDK's
// LocalParticipant.
type publisher interface {
	PublishDataPacket(pck lksdk.DataPacket, opts ...lksdk.DataPublishOption) error
}

// rawPacket sends a DataPacket exactly as built. The SDK's own text stream
// writer cannot set the packet's participant identity, which is how an
// agent publishes the user's transcription on the user's behalf, and it
// keeps a goroutine per open stream; these streams are written in place.
type rawPacket struct{ p *livekit.DataPacket }

func (r rawPacket) ToProto() *livekit.DataPacket { return r.p }

func publishReliable(pub publisher, p *livekit.DataPacket) error {
	return pub.PublishDataPacket(rawPacket{p}, lksdk.WithDataPublishReliable(true))
}

// textStream is one outgoing text stream: a header, chunks, a trailer.
type textStream struct {
	pub    publisher
	id     string
	sender string // identity the stream is sent on behalf of; empty: our own
	chunks uint64
	closed bool
}

// openTextStream sends the header of a new text stream on topic.
func openTextStream(pub publisher, topic, sender string, attrs map[string]string) (*textStream, error) {
	s := &textStream{pub: pub, id: uuid.NewString(), sender: sender}
	err := publishReliable(pub, &livekit.DataPacket{
		ParticipantIdentity: sender,
		Value: &livekit.DataPacket_StreamHeader{StreamHeader: &livekit.DataStream_Header{
			StreamId:   s.id,
			Timestamp:  time.Now().UnixMilli(),
			Topic:      topic,
			MimeType:   "text/plain",
			Attributes: attrs,
			ContentHeader: &livekit.DataStream_Header_TextHeader{TextHeader: &livekit.DataStream_TextHeader{
				OperationType: livekit.DataStream_CREATE,
			}},
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("open text stream on %s: %w", topic, err)
	}
	return s, nil
}

// write sends text as the stream's next chunk.
func (s *textStream) write(text string) error {
	err := publishReliable(s.pub, &livekit.DataPacket{
		ParticipantIdentity: s.sender,
		Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{
			StreamId:   s.id,
			ChunkIndex: s.chunks,
			Content:    []byte(text),
		}},
	})
	if err != nil {
		return fmt.Errorf("write text stream chunk: %w", err)
	}
	s.chunks++
	return nil
}

// close sends the trailer; later calls do nothing.
func (s *textStream) close() error { return s.closeWith(nil) }

// closeWith sends the trailer with attrs, which the receiver merges into
// the header's (as Python agents set lk.transcription_final there); later
// calls do nothing.
func (s *textStream) closeWith(attrs map[string]string) error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := publishReliable(s.pub, &livekit.DataPacket{
		ParticipantIdentity: s.sender,
		Value:               &livekit.DataPacket_StreamTrailer{StreamTrailer: &livekit.DataStream_Trailer{StreamId: s.id, Attributes: attrs}},
	})
	if err != nil {
		return fmt.Errorf("close text stream: %w", err)
	}
	return nil
}

// sendText sends text as one complete stream: header, one chunk, trailer.
func sendText(pub publisher, topic, sender, text string, attrs map[string]string) error {
	s, err := openTextStream(pub, topic, sender, attrs)
	if err != nil {
		return err
	}
	if err := s.write(text); err != nil {
		return err
	}
	return s.close()
}

// legacySegment is one caption as an old-style Transcription packet.
type legacySegment struct {
	participant string // whose speech it is
	trackSID    string // the audio track it transcribes
	id          string
	text        string
	start, end  time.Duration // since the session began
	final       bool
}

func sendLegacy(pub publisher, seg legacySegment) error {
	err := publishReliable(pub, &livekit.DataPacket{
		Value: &livekit.DataPacket_Transcription{Transcription: &livekit.Transcription{
			TranscribedParticipantIdentity: seg.participant,
			TrackId:                        seg.trackSID,
			Segments: []*livekit.TranscriptionSegment{{
				Id:        seg.id,
				Text:      seg.text,
				StartTime: uint64(seg.start.Milliseconds()),
				EndTime:   uint64(seg.end.Milliseconds()),
				Final:     seg.final,
				Language:  "en",
			}},
		}},
	})
	if err != nil {
		return fmt.Errorf("send legacy transcription: %w", err)
	}
	return nil
}

// newSegmentID returns a segment id like the agents' own ("SG_" and a
// random suffix). Legacy packets get ids from newLegacyID, unrelated to
// the streams' ones, as current agents do.
func newSegmentID() string { return "SG_" + uuid.NewString()[:12] }

func newLegacyID() string { return "legacy-" + uuid.NewString()[:12] }
