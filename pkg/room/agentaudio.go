package room

import (
	"fmt"
	"sync"

	"github.com/livekit/media-sdk"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// The agent's audio: each of its audio tracks is decoded by an agentTrack
// (opusreceive.go: one goroutine per track, ended by the track, which
// Close ends) into the call's sink, behind a gate that Close shuts.

func (r *Room) onTrackSubscribed(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if track.Kind() != webrtc.RTPCodecTypeAudio || !isAgent(rp) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if track.Codec().MimeType != webrtc.MimeTypeOpus {
		r.queue.push(Warning{Message: fmt.Sprintf("cannot decode the agent's audio track %s: it is %s, not Opus", pub.SID(), track.Codec().MimeType)})
		return
	}
	// Decoded at 48 kHz mono whatever the agent's TTS produced, with loss
	// made up for.
	t, err := newAgentTrack(track, &skipLeadingSilence{w: r.agentAudio}, &r.received, r.cfg.Logger)
	if err != nil {
		r.queue.push(Warning{Message: fmt.Sprintf("cannot decode the agent's audio track %s: %v", pub.SID(), err)})
		return
	}
	r.remote = append(r.remote, t)
	r.queue.push(AudioSubscribed{Identity: rp.Identity(), TrackSID: pub.SID()})
}

// skipLeadingSilence drops a track's audio until its first non-silent
// chunk. On a new subscription the server sends up to 5 s of Opus silence
// frames until the publisher's first packet, and an agent publishes
// nothing until it first speaks: that filler is not the agent's audio.
type skipLeadingSilence struct {
	w       media.PCM16Writer
	started bool // only touched by the track's one decoding goroutine
}

var (
	_ media.PCM16Writer = (*skipLeadingSilence)(nil)
	_ media.PCM16Writer = (*gatedSink)(nil)
)

func (s *skipLeadingSilence) WriteSample(in media.PCM16Sample) error {
	if !s.started {
		for _, v := range in {
			if v != 0 {
				s.started = true
				break
			}
		}
		if !s.started {
			return nil
		}
	}
	return s.w.WriteSample(in)
}

func (s *skipLeadingSilence) SampleRate() int { return audio.SampleRate }
func (s *skipLeadingSilence) String() string  { return "webcall-skip-leading-silence" }
func (s *skipLeadingSilence) Close() error    { return nil }

// gatedSink adapts an audio.Sink to the SDK's PCM writer, and stops
// passing audio on once closed.
type gatedSink struct {
	mu     sync.Mutex
	sink   audio.Sink
	closed bool
}

func (g *gatedSink) WriteSample(s media.PCM16Sample) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	return g.sink.Write(s)
}

func (g *gatedSink) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

func (g *gatedSink) SampleRate() int { return audio.SampleRate }
func (g *gatedSink) String() string  { return "webcall-agent-audio" }

// Close does nothing: the sink belongs to the call, which outlives tracks.
func (g *gatedSink) Close() error { return nil }
