package room

import (
	"fmt"

	"github.com/livekit/media-sdk"
	"github.com/livekit/media-sdk/opus"
	"github.com/livekit/protocol/logger"
	lkmedia "github.com/livekit/server-sdk-go/v2/pkg/media"
	"github.com/pion/webrtc/v4"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// OpusTrack is a local audio track that encodes each frame it is given to
// Opus and sends it at once as one RTP packet.
//
// Unlike the SDK's PCMLocalTrack it has no queue and no ticker of its own:
// whoever writes frames paces them (audio.Paced or a device clock), so the
// audio takes one hop from the source to the wire and nothing pads or
// reorders it. It sends exactly what it is given: a writer that stops
// writing makes the track fall silent on the wire, which is what an agent's
// track does between replies; webcall's own sender always writes silence
// instead (see pkg/call).
type OpusTrack struct {
	*webrtc.TrackLocalStaticSample
	enc media.PCM16Writer
}

// NewOpusTrack returns a mono 48 kHz Opus track, ready to publish.
func NewOpusTrack(id string) (*OpusTrack, error) {
	t, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: audio.SampleRate, Channels: 2},
		id, id,
	)
	if err != nil {
		return nil, fmt.Errorf("create audio track: %w", err)
	}
	w := media.FromSampleWriter[opus.Sample](t, lkmedia.DefaultOpusSampleRate, audio.FrameDuration)
	enc, err := opus.Encode(w, 1, logger.GetLogger())
	if err != nil {
		return nil, fmt.Errorf("create opus encoder: %w", err)
	}
	return &OpusTrack{TrackLocalStaticSample: t, enc: enc}, nil
}

// WriteFrame encodes one 20 ms frame and sends it.
func (t *OpusTrack) WriteFrame(f audio.Frame) error {
	if len(f) != audio.FrameSamples {
		return fmt.Errorf("audio frame has %d samples, want %d", len(f), audio.FrameSamples)
	}
	return t.enc.WriteSample(media.PCM16Sample(f))
}
