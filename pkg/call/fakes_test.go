package call

import (
	"context"
	"encoding/base64"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/webcall-cli/webcall/internal/fakeclock"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/token"
)

// fakeRoom is the Room of a harness: it delivers the events the test
// sends, records the frames the call sends, and checks that the call
// stops using it once Run has returned.
type fakeRoom struct {
	clk    *fakeclock.Clock
	events chan room.Event // unbuffered: a send returns once the loop took it

	runReturned atomic.Bool
	misuse      atomic.Value // string: what the call did after it was done with the room

	mu     sync.Mutex
	cfg    JoinConfig
	frames []sentFrame
	chats  []chatAt
	closed bool
}

// chatAt is a chat message the call sent, and when.
type chatAt struct {
	at   time.Duration // since t0
	text string
}

// sentFrame is a frame the call sent, and when.
type sentFrame struct {
	at     time.Duration // since t0
	speech bool
}

var (
	_ Room        = (*fakeRoom)(nil)
	_ FrameWriter = (*fakeRoom)(nil)
)

func (r *fakeRoom) joined(cfg JoinConfig) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg = cfg
}

func (r *fakeRoom) agentAudio() audio.Sink {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg.AgentAudio
}

// Events is never closed: the test decides what the room says, and a
// closed channel would make its sends panic.
func (r *fakeRoom) Events() <-chan room.Event { return r.events }
func (r *fakeRoom) Name() string              { return "test-room" }
func (r *fakeRoom) Identity() string          { return "webcall-user" }

func (r *fakeRoom) PublishMicrophone() (FrameWriter, error) { return r, nil }

func (r *fakeRoom) SendChat(text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chats = append(r.chats, chatAt{at: r.clk.Now().Sub(t0), text: text})
	return nil
}

func (r *fakeRoom) sentChats() []chatAt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.chats)
}

func (r *fakeRoom) WriteFrame(f audio.Frame) error {
	if r.runReturned.Load() {
		r.misuse.Store("a frame was written after Run returned")
	}
	speech := false
	for _, v := range f {
		if v != 0 {
			speech = true
			break
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.misuse.Store("a frame was written after the room was closed")
	}
	r.frames = append(r.frames, sentFrame{r.clk.Now().Sub(t0), speech})
	return nil
}

func (r *fakeRoom) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
}

func (r *fakeRoom) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

func (r *fakeRoom) frameCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.frames)
}

// firstSpeech is when the call first sent a frame that is not silence;
// ok is false if it never did.
func (r *fakeRoom) firstSpeech() (at time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.frames {
		if f.speech {
			return f.at, true
		}
	}
	return 0, false
}

// fakeCreds hands out credentials for the fake room, with a provider's
// cap on the call when maxDuration is set.
type fakeCreds struct{ maxDuration time.Duration }

// fakeToken is shaped like a JWT, as the call checks its expiry; it has
// none.
var fakeToken = "e30." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"webcall-user"}`)) + ".c2ln"

func (c fakeCreds) Fetch(context.Context) (token.Credentials, error) {
	return token.Credentials{URL: "ws://fake.invalid", Token: fakeToken, MaxDuration: c.maxDuration}, nil
}

// clip is d of speech, as a file call sends it.
func clip(d time.Duration) *audio.Clip {
	s := make([]int16, int(d/time.Millisecond)*audio.SampleRate/1000)
	for i := range s {
		s[i] = int16(6000 * (1 - 2*(i%2)))
	}
	return &audio.Clip{Samples: s}
}

// fakeMic is a live input: silence paced by the call's clock, as a
// microphone sends between words. It fails when told to, and notes how the
// call used it.
type fakeMic struct {
	paced *audio.PacedSource
	// failAt makes the read of that frame (counting from 1) fail with
	// failErr; 0 never fails.
	failAt  int64
	failErr error

	reads   atomic.Int64
	reading atomic.Int32
	closes  atomic.Int32
	misuse  atomic.Value // string: what the call did wrong
}

var _ audio.Source = (*fakeMic)(nil)

func (m *fakeMic) ReadFrame(ctx context.Context, f audio.Frame) error {
	if m.closes.Load() > 0 {
		m.misuse.Store("read after Close")
	}
	m.reading.Add(1)
	defer m.reading.Add(-1)
	if n := m.reads.Add(1); m.failAt > 0 && n >= m.failAt {
		return m.failErr
	}
	err := m.paced.ReadFrame(ctx, f)
	if ctx.Err() != nil {
		// A device notices the hang-up a moment late. This is no wait for
		// anything: it only gives a call that closes its input without
		// waiting for its sender the time to show it.
		time.Sleep(5 * time.Millisecond)
	}
	return err
}

func (m *fakeMic) Close() error {
	if m.reading.Load() > 0 {
		m.misuse.Store("closed while the sender was reading it")
	}
	m.closes.Add(1)
	return m.paced.Close()
}
