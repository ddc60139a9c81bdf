package room

import (
	"slices"
	"sync"
	"testing"

	"github.com/livekit/media-sdk"
)

// recordingSink keeps every chunk written to it.
type recordingSink struct {
	mu     sync.Mutex
	chunks [][]int16
}

func (s *recordingSink) Write(p []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunks = append(s.chunks, slices.Clone(p))
	return nil
}
func (s *recordingSink) Close() error { return nil }

// The silence a server sends on a new subscription, before the agent's
// first word, is not the agent's audio; everything from its first sound
// on is, pauses included.
func TestSkipLeadingSilence(t *testing.T) {
	rec := &recordingSink{}
	s := &skipLeadingSilence{w: &gatedSink{sink: rec}}
	for _, in := range []media.PCM16Sample{
		{0, 0, 0},
		{0, 0},
		{0, 7, 0}, // the first sound
		{0, 0, 0}, // a pause
		{3, -3},
	} {
		if err := s.WriteSample(in); err != nil {
			t.Fatal(err)
		}
	}
	want := [][]int16{{0, 7, 0}, {0, 0, 0}, {3, -3}}
	if !slices.EqualFunc(rec.chunks, want, slices.Equal) {
		t.Fatalf("passed on %v, want %v", rec.chunks, want)
	}
}

// Each track skips its own leading silence: a second track of the agent
// (after a reconnect) starts with the server's filler too.
func TestSkipLeadingSilenceIsPerTrack(t *testing.T) {
	rec := &recordingSink{}
	gate := &gatedSink{sink: rec}
	first, second := &skipLeadingSilence{w: gate}, &skipLeadingSilence{w: gate}
	_ = first.WriteSample(media.PCM16Sample{5})
	_ = second.WriteSample(media.PCM16Sample{0, 0})
	if len(rec.chunks) != 1 {
		t.Fatalf("passed on %v: the second track's filler got through", rec.chunks)
	}
}

// Once the room is closed, the decoders that have not ended yet write
// nowhere: the call may close its sinks as soon as Close returns.
func TestGatedSinkDropsAudioOnceClosed(t *testing.T) {
	rec := &recordingSink{}
	g := &gatedSink{sink: rec}
	_ = g.WriteSample(media.PCM16Sample{1})
	g.close()
	if err := g.WriteSample(media.PCM16Sample{2}); err != nil {
		t.Fatalf("a write after close failed: %v", err)
	}
	if len(rec.chunks) != 1 || rec.chunks[0][0] != 1 {
		t.Fatalf("the sink got %v, want only what came before close", rec.chunks)
	}
}
