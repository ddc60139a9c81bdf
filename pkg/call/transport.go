package call

import (
	"context"
	"time"

	protologger "github.com/livekit/protocol/logger"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/room"
)

// Room is the room as the call sees it: what happens in it arrives as
// plain events, and the user's audio goes out through one frame writer.
// A LiveKit room (pkg/room) is one; another transport (SIP over WebSocket)
// or a test's fake is another, given to the call by Options.Join.
//
// The call reads Events from its loop only, and calls the other methods
// from Run's goroutine, except that the sender writes frames from its own.
type Room interface {
	// Events delivers what happens in the room, in order, as the values
	// of pkg/room (room.ParticipantJoined, room.StreamChunk, ...). The
	// room must never block on a slow reader to deliver them. The channel
	// is closed after Close; a room whose connection ends says why with
	// room.Disconnected first.
	Events() <-chan room.Event
	// Name is the room's name; Identity is the user's identity in it.
	Name() string
	Identity() string
	// PublishMicrophone starts sending the user's audio. The call writes
	// one frame to the returned writer every audio.FrameDuration, paced
	// by its input, until Close.
	PublishMicrophone() (FrameWriter, error)
	// SendChat sends a chat message from the user (a typed turn), on
	// the lk.chat topic of LiveKit Agents.
	SendChat(text string) error
	// Close leaves the room. Once it returns, nothing is written to
	// JoinConfig.AgentAudio any more, so the caller may close its sinks.
	// It is safe to call more than once.
	Close()
}

// FrameWriter takes the user's audio one frame at a time, as it is due:
// it sends each frame at once and never paces or queues.
type FrameWriter interface {
	WriteFrame(audio.Frame) error
}

// JoinConfig says which room to join and where the agent's audio goes.
type JoinConfig struct {
	URL   string
	Token string
	// ConnectTimeout bounds the whole join.
	ConnectTimeout time.Duration
	// AgentAudio receives the agent's audio (48 kHz mono) as it arrives,
	// from the room's own goroutines. It is never nil.
	AgentAudio audio.Sink
	// TextOnly: the call takes no audio, so the agent's need not be
	// received at all (Options.Text).
	TextOnly bool
}

// JoinFunc joins a room. Its errors are what the call returns: a
// *failure.Error of Kind Connect or Auth that says what to do, or ctx's
// error when ctx ended first.
type JoinFunc func(ctx context.Context, cfg JoinConfig) (Room, error)

// joinLiveKit is the JoinFunc of a call whose Options.Join is nil: a
// LiveKit room, whose SDK logs to logger (nil keeps it quiet).
func joinLiveKit(logger protologger.Logger) JoinFunc {
	return func(ctx context.Context, cfg JoinConfig) (Room, error) {
		rm, err := room.Join(ctx, room.Config{
			URL:            cfg.URL,
			Token:          cfg.Token,
			ConnectTimeout: cfg.ConnectTimeout,
			AgentAudio:     cfg.AgentAudio,
			Logger:         logger,
			TextOnly:       cfg.TextOnly,
		})
		if err != nil {
			return nil, err
		}
		return liveKitRoom{rm}, nil
	}
}

// liveKitRoom is pkg/room's Room as the call sees it.
type liveKitRoom struct{ *room.Room }

var (
	_ Room        = liveKitRoom{}
	_ FrameWriter = (*room.OpusTrack)(nil)
)

// PublishMicrophone publishes the call's one track, named "microphone".
func (r liveKitRoom) PublishMicrophone() (FrameWriter, error) {
	t, err := r.Room.PublishMicrophone("microphone")
	if err != nil {
		// A nil *OpusTrack in the interface would not be a nil writer.
		return nil, err
	}
	return t, nil
}
