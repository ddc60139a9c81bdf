package call

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// recordingSink keeps what the agent said, as a WAV file would.
type recordingSink struct {
	mu      sync.Mutex
	samples []int16
}

func (s *recordingSink) Write(p []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples = append(s.samples, p...)
	return nil
}
func (s *recordingSink) Close() error { return nil }

// The transport is told where to connect and within what time, and the
// agent's audio it delivers reaches the call's output and its stats.
func TestJoinGetsTheCredentialsAndFeedsTheOutput(t *testing.T) {
	defer leaktest.Check(t)()
	out := &recordingSink{}
	h := newHarness(t)
	h.start(Options{Input: h.mic(), Output: out}, fakeCreds{})
	cfg := func() JoinConfig { h.room.mu.Lock(); defer h.room.mu.Unlock(); return h.room.cfg }()
	if cfg.URL != "ws://fake.invalid" || cfg.Token != fakeToken || cfg.ConnectTimeout != DefaultTiming.ConnectTimeout {
		t.Errorf("joined with %q %q within %v", cfg.URL, cfg.Token, cfg.ConnectTimeout)
	}
	if e := h.expect(event.Connected); e.Room != "test-room" || e.Identity != "webcall-user" || e.URL != cfg.URL {
		t.Errorf("connected event %+v", e)
	}
	h.agentJoins("listening")
	h.stepFor(300 * time.Millisecond)
	h.agentSpeaks(500 * time.Millisecond)
	h.cancel()
	h.wait()

	if n := len(out.samples); n != audio.SampleRate/2 {
		t.Errorf("the output got %d samples of the agent, want %d", n, audio.SampleRate/2)
	}
	if st := h.res.Stats; st.ReceivedMS != 500 || st.FirstAgentAudio != 300 {
		t.Errorf("stats %+v, want 500 ms received, from 300 ms in", st)
	}
}

// A join that fails is the call's error as it is; nothing was connected,
// so nothing is started and no event says otherwise.
func TestJoinFailureEndsTheCallBeforeItStarts(t *testing.T) {
	defer leaktest.Check(t)()
	refused := failure.New(failure.Auth, "the server refused the token")
	var types []event.Type
	_, err := Run(context.Background(), Options{
		Credentials: fakeCreds{},
		Input:       audio.Paced(audio.Silence(0)),
		Join: func(context.Context, JoinConfig) (Room, error) {
			return nil, refused
		},
		Events: func(e event.Event) { types = append(types, e.Type) },
	})
	if !errors.Is(err, refused) {
		t.Fatalf("Run returned %v, want the join's error", err)
	}
	if len(types) != 0 {
		t.Errorf("events %v for a call that never connected", types)
	}
}

// Hanging up while the join is under way is an interruption, whatever
// error the transport gives for it.
func TestHangUpDuringJoin(t *testing.T) {
	defer leaktest.Check(t)()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, Options{
		Credentials: fakeCreds{},
		Input:       audio.Paced(audio.Silence(0)),
		Join: func(ctx context.Context, _ JoinConfig) (Room, error) {
			cancel()
			select {
			case <-ctx.Done():
			case <-time.After(waitReal):
				t.Error("the join's context did not end with the call's")
			}
			return nil, errors.New("websocket: close sent")
		},
	})
	if failure.KindOf(err) != failure.Interrupted {
		t.Fatalf("Run returned %v, want an Interrupted failure", err)
	}
}

// The events a call emits, in order, from connecting to the end of a
// file call.
func TestFileCallEventOrder(t *testing.T) {
	defer leaktest.Check(t)()
	h := newHarness(t)
	h.start(Options{File: clip(400 * time.Millisecond)}, fakeCreds{})
	h.agentJoins("listening")
	h.stepUntil(time.Minute, "end of the input", func() bool { return h.hasEvent(event.InputDone) })
	h.agentState("speaking")
	h.agentSpeaks(time.Second)
	h.agentState("listening")
	h.runToEnd(time.Minute)

	got := h.eventTypes()
	want := []event.Type{event.Connected, event.AgentJoined, event.AgentState, event.InputDone, event.AgentState, event.AgentState, event.Stats, event.Disconnected}
	if !slices.Equal(got, want) {
		t.Fatalf("events %v\nwant   %v", got, want)
	}
}
