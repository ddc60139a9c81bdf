package room

import (
	"fmt"
	"sync"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"gopkg.in/hraban/opus.v2"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// What the Opus encoder is told, for speech over networks that lose
// packets (trains, Wi-Fi, shared CI runners):
//
//   - VoIP application: tuned for speech intelligibility, not music.
//   - In-band FEC on, expecting OpusExpectedLoss percent loss: each packet
//     also carries a coarse copy of the previous frame (Opus's LBRR), so a
//     receiver that lost packet n rebuilds it from packet n+1 instead of
//     guessing. libopus only spends bits on it when told to expect loss;
//     its default of 0 % means no FEC at all. 10 % covers the loss of
//     ordinary bad networks without taking much from the speech itself.
//   - DTX off: the agent's voice activity detection and end-of-turn
//     timing need a frame every 20 ms, silence included; with DTX the
//     encoder sends nothing in pauses, and the agent sees a gap where the
//     user merely paused. (The publication says so too: DisableDTX.)
//   - OpusBitrate, WebRTC's usual figure for mono speech: enough for
//     wideband speech with the FEC copy inside it.
const (
	OpusExpectedLoss = 10     // percent
	OpusBitrate      = 32_000 // bits per second
)

// opusMaxPacket bounds one encoded 20 ms packet; at OpusBitrate one is
// about 80 bytes, and libopus never writes more than 1275 per frame.
const opusMaxPacket = 1500

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

	mu  sync.Mutex // one frame at a time through enc and buf
	enc *opus.Encoder
	buf []byte
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
	enc, err := newSpeechEncoder()
	if err != nil {
		return nil, fmt.Errorf("create opus encoder: %w", err)
	}
	return &OpusTrack{TrackLocalStaticSample: t, enc: enc, buf: make([]byte, opusMaxPacket)}, nil
}

// newSpeechEncoder is a mono encoder set up as the constants above say.
func newSpeechEncoder() (*opus.Encoder, error) {
	enc, err := opus.NewEncoder(audio.SampleRate, 1, opus.AppVoIP)
	if err != nil {
		return nil, err
	}
	for _, set := range []func() error{
		func() error { return enc.SetInBandFEC(true) },
		func() error { return enc.SetPacketLossPerc(OpusExpectedLoss) },
		func() error { return enc.SetDTX(false) },
		func() error { return enc.SetBitrate(OpusBitrate) },
	} {
		if err := set(); err != nil {
			return nil, err
		}
	}
	return enc, nil
}

// WriteFrame encodes one 20 ms frame and sends it.
func (t *OpusTrack) WriteFrame(f audio.Frame) error {
	if len(f) != audio.FrameSamples {
		return fmt.Errorf("audio frame has %d samples, want %d", len(f), audio.FrameSamples)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.enc.Encode(f, t.buf)
	if err != nil {
		return fmt.Errorf("encode opus: %w", err)
	}
	// The payloader copies the packet, so buf is free again on return.
	return t.WriteSample(media.Sample{Data: t.buf[:n], Duration: audio.FrameDuration})
}
