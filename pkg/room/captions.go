package room

import (
	"errors"
	"fmt"
	"io"
	"maps"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/pkg/transcript"
)

// Captions: lk.transcription text streams and legacy Transcription packets
// become plain events, each credited to the user or to the agent. The store
// in pkg/transcript decides what to show; this only reads and credits.

// onTextStream runs on its own goroutine (the SDK starts one per stream),
// so blocking reads here never hold up other streams or their trailers.
func (r *Room) onTextStream(reader *lksdk.TextStreamReader, sender string) {
	// Header attributes are copied at once: the SDK writes trailer
	// attributes into the same map later.
	header := maps.Clone(reader.Info.Attributes)
	info := streamInfo(reader.Info.Id, header, sender, r.sdk.LocalParticipant.Identity(), r.isOurTrack(header[AttrTranscribedTrack]))
	r.queue.push(StreamOpened{Info: info})

	err := readStream(reader, info.StreamID, sender, MaxCaptionStreamBytes, r.queue.push)
	var final *bool
	if errors.Is(err, io.EOF) {
		// After EOF the SDK no longer touches the map.
		final = trailerFinal(header, reader.Info.Attributes)
	}
	r.queue.push(StreamClosed{StreamID: info.StreamID, TrailerFinal: final})
}

// isOurTrack reports whether sid is a track we published.
func (r *Room) isOurTrack(sid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.localTracks[sid]
}

// streamInfo credits a text stream from its header. A stream that
// transcribes one of our tracks (ourTrack), or that we sent, carries the
// user's words, whoever sent it: the agent sends the user's speech to text
// on the user's behalf. Any other stream carries its sender's words.
func streamInfo(id string, header map[string]string, sender, local string, ourTrack bool) transcript.StreamInfo {
	info := transcript.StreamInfo{
		StreamID:  id,
		SegmentID: header[AttrSegmentID],
		Sender:    sender,
		Final:     header[AttrFinal] == "true",
	}
	if ourTrack || sender == local {
		info.Speaker, info.Identity = transcript.SpeakerUser, local
	} else {
		info.Speaker, info.Identity = transcript.SpeakerAgent, sender
	}
	return info
}

// MaxCaptionStreamBytes bounds the text one lk.transcription stream
// delivers: a caption is one stretch of speech, and a stream that keeps
// going past this is broken or hostile. The store keeps no more of a
// segment either.
const MaxCaptionStreamBytes = transcript.MaxSegmentText

// readStream pushes the text of stream id as it arrives, in chunks that
// never split a character, and returns the error that ended the stream:
// io.EOF when it was complete. Past limit bytes it pushes one Warning
// naming sender and drops the rest, still reading to the end: the SDK
// buffers whatever is not read, so a stream left unread would grow in
// memory just the same.
func readStream(rd io.Reader, id, sender string, limit int, push func(Event)) error {
	buf := make([]byte, 4096)
	var pending []byte // an incomplete UTF-8 sequence from the last read
	sent, over := 0, false
	emit := func(b []byte) {
		if sent+len(b) > limit {
			b = b[:completeUTF8(b[:limit-sent])]
			over = true
		}
		if len(b) > 0 {
			push(StreamChunk{StreamID: id, Text: string(b)})
			sent += len(b)
		}
		if over {
			push(Warning{Message: fmt.Sprintf("a caption stream from %s passed %d KiB without ending; the rest of it is dropped", sender, limit>>10)})
		}
	}
	for {
		n, err := rd.Read(buf)
		if n > 0 && !over {
			pending = append(pending, buf[:n]...)
			cut := completeUTF8(pending)
			if cut > 0 {
				emit(pending[:cut])
				pending = append(pending[:0], pending[cut:]...)
			}
		}
		if err != nil {
			if len(pending) > 0 && !over {
				emit(pending)
			}
			return err
		}
	}
}

// trailerFinal is lk.transcription_final as a stream's trailer set it, or
// nil when the trailer left the header's value as it was.
func trailerFinal(header, end map[string]string) *bool {
	v, ok := end[AttrFinal]
	if !ok || v == header[AttrFinal] {
		return nil
	}
	f := v == "true"
	return &f
}

// completeUTF8 returns how many leading bytes of b form whole UTF-8
// characters, so a character split across chunks is never mangled.
func completeUTF8(b []byte) int {
	// Walk back over at most 3 continuation bytes to the last lead byte.
	for i := len(b) - 1; i >= 0 && i >= len(b)-4; i-- {
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xC0 { // lead byte
			need := 2
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			}
			if len(b)-i >= need {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

func (r *Room) onTranscription(segs []*lksdk.TranscriptionSegment, p lksdk.Participant, _ lksdk.TrackPublication) {
	r.queue.push(legacyTranscription(p.Identity(), r.sdk.LocalParticipant.Identity(), segs))
}

// legacyTranscription credits a legacy packet: its segments are the words
// of the participant it came with, the user's when that is us.
func legacyTranscription(identity, local string, segs []*lksdk.TranscriptionSegment) LegacyTranscription {
	speaker := transcript.SpeakerAgent
	if identity == local {
		speaker = transcript.SpeakerUser
	}
	ev := LegacyTranscription{Identity: identity}
	for _, s := range segs {
		ev.Segments = append(ev.Segments, transcript.LegacySegment{
			ID:       s.ID,
			Speaker:  speaker,
			Identity: identity,
			Text:     s.Text,
			Final:    s.Final,
		})
	}
	return ev
}
