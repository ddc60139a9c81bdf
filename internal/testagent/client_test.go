package testagent_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	media "github.com/livekit/media-sdk"
	"github.com/livekit/media-sdk/opus"
	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"

	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/room"
)

// client is a plain SDK participant that records everything the agent does
// on the wire, with arrival times.
type client struct {
	t        *testing.T
	lk       *lksdk.Room
	identity string

	mu      sync.Mutex
	agent   *lksdk.RemoteParticipant
	streams []*rxStream
	legacy  []rxLegacy
	states  []rxState
	audio   []rxAudio   // decoded agent audio
	packets []time.Time // arrival of the agent's RTP packets, SFU filler excluded
	fillers int         // silent frames the SFU sent in the agent's name
	changed chan struct{}

	cancel  context.CancelFunc
	senders sync.WaitGroup // the audio sender
	readers sync.WaitGroup // the agent audio readers; end when the room is left
}

type rxStream struct {
	id        string
	sender    string
	attrs     map[string]string
	timestamp int64 // the sender's, in ms
	opened    time.Time
	text      string
	reads     []time.Time
	closed    bool
	closedAt  time.Time
}

type rxLegacy struct {
	participant string
	seg         *lksdk.TranscriptionSegment
	at          time.Time
}

// hasLegacyFinal reports whether a final legacy segment came from
// participant. Call with c.mu held, as waitFor does.
func (c *client) hasLegacyFinal(participant string) bool {
	for _, l := range c.legacy {
		if l.participant == participant && l.seg.Final {
			return true
		}
	}
	return false
}

type rxState struct {
	state string
	at    time.Time
}

type rxAudio struct {
	samples int
	speech  bool // any 20 ms of the chunk above the speech threshold
	at      time.Time
}

// join connects a user to room with a token that dispatches agentName.
func join(t *testing.T, srv *lkserver.Server, roomName, identity, agentName string) *client {
	t.Helper()
	c := &client{t: t, identity: identity, changed: make(chan struct{}, 1)}
	cb := lksdk.NewRoomCallback()
	cb.OnParticipantConnected = func(rp *lksdk.RemoteParticipant) { c.noteParticipant(rp) }
	cb.OnAttributesChanged = func(changed map[string]string, p lksdk.Participant) {
		if s, ok := changed["lk.agent.state"]; ok && p.Kind() == lksdk.ParticipantAgent {
			c.update(func() { c.states = append(c.states, rxState{s, time.Now()}) })
		}
	}
	cb.OnTranscriptionReceived = func(segs []*lksdk.TranscriptionSegment, p lksdk.Participant, _ lksdk.TrackPublication) {
		now := time.Now()
		c.update(func() {
			for _, s := range segs {
				c.legacy = append(c.legacy, rxLegacy{p.Identity(), s, now})
			}
		})
	}
	cb.OnTrackSubscribed = func(track *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
		if rp.Kind() != lksdk.ParticipantAgent || track.Kind() != webrtc.RTPCodecTypeAudio {
			return
		}
		c.readers.Add(1)
		go c.readAgentAudio(track)
	}
	c.lk = lksdk.NewRoom(cb)
	// Read every stream on its own goroutine (the SDK starts one per
	// stream) chunk by chunk, so a stream that is never closed still
	// shows what it carried.
	if err := c.lk.RegisterTextStreamHandler("lk.transcription", c.readStream); err != nil {
		t.Fatal(err)
	}

	tok, err := auth.NewAccessToken(srv.APIKey, srv.APISecret).
		SetIdentity(identity).
		SetValidFor(5 * time.Minute).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: roomName}).
		SetRoomConfig(&livekit.RoomConfiguration{Agents: []*livekit.RoomAgentDispatch{{AgentName: agentName}}}).
		ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.lk.JoinWithToken(srv.URL, tok); err != nil {
		t.Fatalf("join %s: %v", roomName, err)
	}
	for _, rp := range c.lk.GetRemoteParticipants() {
		c.noteParticipant(rp)
	}
	t.Cleanup(c.leave)
	return c
}

func (c *client) noteParticipant(rp *lksdk.RemoteParticipant) {
	if rp.Kind() == lksdk.ParticipantAgent {
		c.update(func() { c.agent = rp })
	}
}

// update changes the record under the lock and wakes waiters.
func (c *client) update(f func()) {
	c.mu.Lock()
	f()
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *client) readStream(r *lksdk.TextStreamReader, sender string) {
	s := &rxStream{id: r.Info.Id, sender: sender, attrs: r.Info.Attributes, timestamp: r.Info.Timestamp, opened: time.Now()}
	c.update(func() { c.streams = append(c.streams, s) })
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		now := time.Now()
		if n > 0 {
			c.update(func() {
				s.text += string(buf[:n])
				s.reads = append(s.reads, now)
			})
		}
		if errors.Is(err, io.EOF) {
			c.update(func() { s.closed, s.closedAt = true, now })
			return
		}
		if err != nil {
			c.t.Errorf("read stream %s: %v", s.id, err)
			return
		}
	}
}

// waitFor polls cond (under the lock) until it holds, failing the test
// after timeout with what was recorded.
func (c *client) waitFor(timeout time.Duration, what string, cond func() bool) {
	c.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		c.mu.Lock()
		ok := cond()
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-deadline.C:
			c.t.Fatalf("waited %s for %s; recorded:\n%s", timeout, what, c.dump())
		case <-c.changed:
		case <-tick.C:
		}
	}
}

// speak publishes a microphone-like track with the given source and sends
// on it in real time half a second of silence, then each clip followed by
// two seconds of silence, then silence until the client leaves, as webcall
// does. sent is closed once the clips and their silences are out.
func (c *client) speak(source livekit.TrackSource, clips ...*audio.Clip) (pub *lksdk.LocalTrackPublication, sent <-chan struct{}) {
	c.t.Helper()
	track, err := room.NewOpusTrack("user-audio")
	if err != nil {
		c.t.Fatal(err)
	}
	pub, err = c.lk.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "user-audio", Source: source})
	if err != nil {
		c.t.Fatalf("publish: %v", err)
	}
	readers := []audio.Reader{audio.Silence(500 * time.Millisecond)}
	frames := 25
	for _, clip := range clips {
		readers = append(readers, audio.NewClipReader(clip.Samples), audio.Silence(2*time.Second))
		frames += (len(clip.Samples)+audio.FrameSamples-1)/audio.FrameSamples + 100
	}
	readers = append(readers, audio.Silence(0))
	src := audio.Paced(audio.Concat(readers...))
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.senders.Add(1)
	go func() {
		defer c.senders.Done()
		defer src.Close()
		f := audio.NewFrame()
		for n := 1; src.ReadFrame(ctx, f) == nil; n++ {
			if err := track.WriteFrame(f); err != nil {
				c.t.Errorf("send audio: %v", err)
				return
			}
			if n == frames {
				close(done)
			}
		}
	}()
	return pub, done
}

func (c *client) leave() {
	if c.cancel != nil {
		c.cancel()
	}
	c.senders.Wait()
	c.lk.Disconnect()
	c.readers.Wait()
}

// readAgentAudio records the agent's RTP packets and decodes them. It
// reads RTP itself rather than through the SDK's PCMRemoteTrack to tell
// the agent's packets from the silent frames the SFU sends on a new
// subscription until the publisher sends its first packet (so that
// clients that learn of tracks from packets see them); those are not the
// agent's doing.
func (c *client) readAgentAudio(track *webrtc.TrackRemote) {
	defer c.readers.Done()
	dec, err := opus.Decode(&audioRecorder{c: c}, 1, logger.GetLogger())
	if err != nil {
		c.t.Errorf("create an opus decoder: %v", err)
		return
	}
	defer dec.Close()
	for {
		p, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		now := time.Now()
		if isSFUSilence(p.Payload) {
			c.update(func() { c.fillers++ })
			continue
		}
		c.update(func() { c.packets = append(c.packets, now) })
		if err := dec.WriteSample(opus.Sample(p.Payload)); err != nil {
			c.t.Errorf("decode the agent's audio: %v", err)
			return
		}
	}
}

// isSFUSilence recognises livekit-server's silent Opus frame: a TOC byte
// 0xf8, the bytes 0xff 0xfe, then zeros.
func isSFUSilence(payload []byte) bool {
	if len(payload) < 3 || payload[0] != 0xf8 || payload[1] != 0xff || payload[2] != 0xfe {
		return false
	}
	for _, b := range payload[3:] {
		if b != 0 {
			return false
		}
	}
	return true
}

// audioRecorder notes each chunk of the agent's decoded audio.
type audioRecorder struct{ c *client }

func (r *audioRecorder) String() string  { return "test-audio-recorder" }
func (r *audioRecorder) SampleRate() int { return audio.SampleRate }
func (r *audioRecorder) Close() error    { return nil }
func (r *audioRecorder) WriteSample(s media.PCM16Sample) error {
	a := rxAudio{samples: len(s), speech: audio.SpeechRatio(s) > 0, at: time.Now()}
	r.c.update(func() { r.c.audio = append(r.c.audio, a) })
	return nil
}
