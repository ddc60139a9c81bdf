// Package room is webcall's side of the LiveKit wire: it joins a room,
// publishes the user's microphone, hands the agent's audio to a sink, and
// turns every SDK callback into a plain Event on one channel.
//
// Nothing here decides what a call means (that is pkg/call) or how captions
// are merged (that is pkg/transcript): this package only adapts.
//
// Goroutines, and who ends them:
//   - the SDK's own (signalling, peer connections, data channels): ended by
//     Close, which disconnects.
//   - one reader per incoming text stream (captions, chat.go's chat
//     messages), and per byte stream on lk.agent.session (agentmetrics.go),
//     started by the SDK for our handler: it reads chunks as they arrive
//     and ends when the stream closes, or when Close makes the SDK close
//     every open stream.
//   - one decoder per subscribed agent audio track (agentTrack, with its
//     reorder buffer's timer): ended when the track ends, which Close's
//     disconnecting makes it do.
//   - the event pump, which moves queued events to the Events channel: ended
//     by Close, after which Events is closed.
//
// TLS roots are process-wide because the SDK dials through package
// defaults (gorilla's websocket.DefaultDialer, http.DefaultClient):
// SetRootCAs (tls.go) sets them once, before the first Join.
//
// SDK callbacks never block: they append to an unbounded queue and return,
// so a slow consumer delays events but never stalls the media or loses a
// caption.
package room

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/livekit/protocol/livekit"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// Attribute and topic names used by LiveKit Agents.
const (
	TopicTranscription = "lk.transcription"
	// TopicChat carries chat messages: what LiveKit Agents read as the
	// user's text input, and where text-only replies may come back.
	TopicChat = "lk.chat"

	AttrAgentState       = "lk.agent.state"
	AttrAgentName        = "lk.agent.name"
	AttrSegmentID        = "lk.segment_id"
	AttrFinal            = "lk.transcription_final"
	AttrTranscribedTrack = "lk.transcribed_track_id"
)

// Config says where to connect and where the agent's audio goes.
type Config struct {
	URL   string
	Token string
	// ConnectTimeout bounds the whole join, including ICE. Default 10 s.
	ConnectTimeout time.Duration
	// AgentAudio receives the decoded audio (48 kHz mono) of every agent
	// audio track. Nil discards it.
	AgentAudio audio.Sink
	// Logger receives the SDK's logs. Nil keeps them quiet.
	Logger protologger.Logger
	// TextOnly joins for a text conversation: no track is subscribed, so
	// the agent's audio is neither received nor decoded (AgentAudio gets
	// nothing), and nothing is published unless PublishMicrophone is
	// called.
	TextOnly bool
}

// Room is one joined LiveKit room.
type Room struct {
	sdk   *lksdk.Room
	cfg   Config
	queue *eventQueue

	mu          sync.Mutex
	localTracks map[string]bool // SIDs of our published tracks
	remote      []*agentTrack
	closed      bool
	agentAudio  *gatedSink
	received    receiveCounters

	closeOnce sync.Once
}

// Join connects to the room. It returns a *failure.Error of Kind Connect
// when the server cannot be reached in time and Kind Auth when it refuses
// the token, with the server's reason.
func Join(ctx context.Context, cfg Config) (*Room, error) {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.AgentAudio == nil {
		cfg.AgentAudio = audio.Discard
	}
	r := &Room{
		cfg:         cfg,
		queue:       newEventQueue(),
		localTracks: map[string]bool{},
		agentAudio:  &gatedSink{sink: cfg.AgentAudio},
	}
	cb := lksdk.NewRoomCallback()
	cb.OnParticipantConnected = r.onParticipantConnected
	cb.OnParticipantDisconnected = r.onParticipantDisconnected
	cb.OnAttributesChanged = r.onAttributesChanged
	cb.OnTrackSubscribed = r.onTrackSubscribed
	cb.OnTranscriptionReceived = r.onTranscription
	cb.OnDisconnectedWithReason = r.onDisconnected
	cb.OnReconnecting = func() { r.queue.push(ConnectionChanged{State: "reconnecting"}) }
	cb.OnReconnected = func() { r.queue.push(ConnectionChanged{State: "reconnected"}) }

	r.sdk = lksdk.NewRoom(cb)
	// Registered before joining so that no caption sent right after the
	// join is missed.
	if err := r.sdk.RegisterTextStreamHandler(TopicTranscription, r.onTextStream); err != nil {
		return nil, fmt.Errorf("register transcription handler: %w", err)
	}
	if err := r.sdk.RegisterByteStreamHandler(TopicAgentSession, r.onSessionStream); err != nil {
		return nil, fmt.Errorf("register agent session handler: %w", err)
	}
	if err := r.sdk.RegisterTextStreamHandler(TopicChat, r.onChatStream); err != nil {
		return nil, fmt.Errorf("register chat handler: %w", err)
	}

	joinCtx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	opts := []lksdk.ConnectOption{
		// Without subscribing, the server sends no agent audio at all.
		lksdk.WithAutoSubscribe(!cfg.TextOnly),
		lksdk.WithConnectTimeout(cfg.ConnectTimeout),
	}
	if cfg.Logger != nil {
		opts = append(opts, lksdk.WithLogger(cfg.Logger))
	}
	// The SDK's join retries internally and does not always honour the
	// context while it does, so the deadline is also enforced here.
	errc := make(chan error, 1)
	go func() { errc <- r.sdk.JoinWithContextAndToken(joinCtx, cfg.URL, cfg.Token, opts...) }()
	var err error
	select {
	case err = <-errc:
	case <-joinCtx.Done():
		err = joinCtx.Err()
		// The join goroutine ends on its own once the SDK notices the
		// context; disconnect whatever it managed to set up.
		go func() {
			if <-errc == nil {
				r.sdk.Disconnect()
			}
		}()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, lksdk.ErrConnectionTimeout) {
			return nil, timeoutError(ctx, cfg.URL, cfg.ConnectTimeout, r.sdk.ServerInfo().GetVersion() != "")
		}
		return nil, joinError(cfg.URL, cfg.ConnectTimeout, err)
	}
	r.queue.start()
	// Participants already in the room do not trigger OnParticipantConnected.
	for _, rp := range r.sdk.GetRemoteParticipants() {
		r.onParticipantConnected(rp)
	}
	return r, nil
}

// joinError turns the SDK's join error into one a person can act on.
func joinError(url string, timeout time.Duration, err error) error {
	// First: the SDK's text of a refused certificate says nothing of
	// certificates a person would recognise.
	if ce := certificateError(url, err); ce != nil {
		return ce
	}
	msg := err.Error()
	switch {
	// "unauthorized:" is the SDK's own wording for a 401 answer to its
	// validate request (engine.go); a bare "401" could be a port number.
	case strings.Contains(msg, "unauthorized"):
		reason := strings.TrimSpace(strings.TrimPrefix(msg, "unauthorized:"))
		if reason == "" {
			reason = "no reason given"
		}
		return failure.Wrap(failure.Auth, errors.New(reason), fmt.Sprintf("the server at %s refused the token", url)).
			WithHint("the token may be expired, for another server, or signed with another key: get a fresh one")
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, lksdk.ErrConnectionTimeout):
		return failure.Newf(failure.Connect, "could not connect to %s within %s", url, timeout).
			WithCond(ErrConnectTimeout).WithHint("check the URL and your network, or allow more time to connect")
	default:
		return failure.Wrap(failure.Connect, err, fmt.Sprintf("could not connect to %s", url)).
			WithHint("check the URL (ws:// or wss://, host and port) and that the server is running")
	}
}

// Events returns the channel of room events. It is closed after Close.
func (r *Room) Events() <-chan Event { return r.queue.out }

// Name is the room's name.
func (r *Room) Name() string { return r.sdk.Name() }

// Identity is our participant identity.
func (r *Room) Identity() string { return r.sdk.LocalParticipant.Identity() }

// ServerVersion is the LiveKit server's version, if it said.
func (r *Room) ServerVersion() string {
	if si := r.sdk.ServerInfo(); si != nil {
		return si.Version
	}
	return ""
}

// PublishMicrophone publishes a mono Opus track with source MICROPHONE:
// agents only listen to microphone tracks, and ignore UNKNOWN ones.
func (r *Room) PublishMicrophone(name string) (*OpusTrack, error) {
	t, err := NewOpusTrack("webcall-mic")
	if err != nil {
		return nil, err
	}
	pub, err := r.sdk.LocalParticipant.PublishTrack(t, &lksdk.TrackPublicationOptions{
		Name:   name,
		Source: livekit.TrackSource_MICROPHONE,
		// Speech with pauses: discontinuous transmission would make the
		// agent's endpointing see gaps instead of silence.
		DisableDTX: true,
	})
	if err != nil {
		return nil, failure.Wrap(failure.Connect, err, "could not publish the microphone track")
	}
	r.mu.Lock()
	r.localTracks[pub.SID()] = true
	r.mu.Unlock()
	return t, nil
}

// SendChat sends text to everyone in the room on TopicChat, as a user
// typing: LiveKit Agents take it as the user's turn. It returns once the
// whole stream (header, text, trailer) is on the data channel, so that
// messages sent one after another arrive in that order: the SDK's
// SendText writes each stream from a goroutine of its own, and a short
// message sent second could otherwise be complete first. Delivery is not
// reported.
func (r *Room) SendChat(text string) error {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return failure.New(failure.Internal, "chat message not sent: the room is closed")
	}
	w := r.sdk.LocalParticipant.StreamText(lksdk.StreamTextOptions{Topic: TopicChat, TotalSize: uint64(len(text))})
	written := make(chan struct{})
	onDone := func() { close(written) }
	w.Write(text, &onDone)
	select {
	case <-written:
	case <-time.After(sendChatTimeout):
		// The data channel is backed up: the trailer still goes out
		// after the text, but the next message may overtake this one.
	}
	w.Close()
	return nil
}

// sendChatTimeout bounds how long SendChat waits for its text to be on
// the data channel.
const sendChatTimeout = 2 * time.Second

// Close leaves the room and ends every goroutine this package started.
// Events is closed once everything queued has been delivered or dropped.
func (r *Room) Close() {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		remote := r.remote
		r.remote = nil
		r.mu.Unlock()
		r.sdk.Disconnect()
		for _, t := range remote {
			t.Close()
		}
		// The decoders' goroutines end when their tracks do, a moment
		// later; from here on they write nowhere, so the caller may close
		// its sinks as soon as Close returns.
		r.agentAudio.close()
		if len(remote) > 0 && r.cfg.Logger != nil {
			r.received.log(r.cfg.Logger)
		}
		r.queue.close()
	})
}

func (r *Room) onParticipantConnected(rp *lksdk.RemoteParticipant) {
	r.queue.push(ParticipantJoined{
		Identity:   rp.Identity(),
		Name:       rp.Name(),
		Agent:      isAgent(rp),
		Attributes: maps.Clone(rp.Attributes()),
	})
}

func (r *Room) onParticipantDisconnected(rp *lksdk.RemoteParticipant) {
	r.queue.push(ParticipantLeft{Identity: rp.Identity(), Agent: isAgent(rp)})
}

func (r *Room) onAttributesChanged(changed map[string]string, p lksdk.Participant) {
	if _, local := p.(*lksdk.LocalParticipant); local {
		return
	}
	rp, ok := p.(*lksdk.RemoteParticipant)
	r.queue.push(AttributesChanged{
		Identity:   p.Identity(),
		Agent:      ok && isAgent(rp),
		Changed:    maps.Clone(changed),
		Attributes: maps.Clone(p.Attributes()),
	})
}

// isAgent tells an assistant from a person.
func isAgent(rp *lksdk.RemoteParticipant) bool { return agentLike(rp.Kind(), rp.Attributes()) }

// agentLike is isAgent on what it reads: current agents join with kind
// AGENT; older ones only show themselves through their attributes.
func agentLike(kind lksdk.ParticipantKind, attrs map[string]string) bool {
	if kind == lksdk.ParticipantAgent {
		return true
	}
	_, state := attrs[AttrAgentState]
	_, name := attrs[AttrAgentName]
	return state || name
}

func (r *Room) onDisconnected(reason lksdk.DisconnectionReason) {
	r.queue.push(Disconnected{Reason: string(reason)})
}
