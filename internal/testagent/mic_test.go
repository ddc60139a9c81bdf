package testagent_test

import (
	"context"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/room"
)

// mic is a user's microphone that says a clip when the test tells it to
// and sends silence the rest of the time, in real time, as webcall does:
// for turns that depend on what the agent is doing.
type mic struct {
	c       *client
	clips   chan *audio.Clip
	started chan time.Time
}

// liveMic publishes a microphone track and starts sending silence on it
// until the client leaves. Use it or speak, not both, on one client.
func (c *client) liveMic() *mic {
	c.t.Helper()
	track, err := room.NewOpusTrack("user-audio")
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.lk.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{
		Name: "user-audio", Source: livekit.TrackSource_MICROPHONE,
	}); err != nil {
		c.t.Fatalf("publish: %v", err)
	}
	m := &mic{c: c, clips: make(chan *audio.Clip), started: make(chan time.Time, 1)}
	r := &micReader{clips: m.clips}
	src := audio.Paced(r)
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.senders.Add(1)
	go func() {
		defer c.senders.Done()
		defer src.Close()
		f := audio.NewFrame()
		for src.ReadFrame(ctx, f) == nil {
			if err := track.WriteFrame(f); err != nil {
				c.t.Errorf("send audio: %v", err)
				return
			}
			if r.firstVoiced {
				r.firstVoiced = false
				m.started <- time.Now()
			}
		}
	}()
	return m
}

// say starts clip after the frame being sent and returns when its first
// voiced frame (by the agent's threshold) has gone out: when the user
// began to speak.
func (m *mic) say(clip *audio.Clip) time.Time {
	m.c.t.Helper()
	select {
	case m.clips <- clip:
	case <-time.After(time.Second):
		m.c.t.Fatal("the microphone is still saying the last clip")
	}
	select {
	case at := <-m.started:
		return at
	case <-time.After(callTimeout):
		m.c.t.Fatal("the clip has no voiced frame")
	}
	return time.Time{}
}

// micReader reads a clip handed over on clips, then silence until the
// next; it is read by the sender goroutine alone.
type micReader struct {
	clips       <-chan *audio.Clip
	cur         audio.Reader
	waiting     bool // for the current clip's first voiced frame
	firstVoiced bool // the frame just read is that frame
}

func (r *micReader) ReadFrame(f audio.Frame) error {
	if r.cur == nil {
		select {
		case clip := <-r.clips:
			r.cur, r.waiting = audio.NewClipReader(clip.Samples), true
		default:
		}
	}
	if r.cur != nil && r.cur.ReadFrame(f) == nil {
		if r.waiting && voiced(f) {
			r.waiting, r.firstVoiced = false, true
		}
		return nil
	}
	r.cur = nil
	clear(f)
	return nil
}

// voiced is the agent's test of a frame, by the same threshold.
func voiced(f audio.Frame) bool { return audio.DBFS(audio.RMS(f)) > audio.SpeechThresholdDBFS }
