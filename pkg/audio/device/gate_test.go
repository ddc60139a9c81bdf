package device

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// countingSource yields frames of a constant value and counts reads.
type countingSource struct {
	reads  int
	limit  int
	closed bool
}

func (s *countingSource) ReadFrame(ctx context.Context, f audio.Frame) error {
	if s.reads == s.limit {
		return io.EOF
	}
	s.reads++
	for i := range f {
		f[i] = 1000
	}
	return nil
}

func (s *countingSource) Close() error { s.closed = true; return nil }

func TestGate(t *testing.T) {
	src := &countingSource{limit: 4}
	g := NewGate(src, true)
	f := audio.NewFrame()
	level := func() float64 {
		t.Helper()
		if err := g.ReadFrame(context.Background(), f); err != nil {
			t.Fatal(err)
		}
		return audio.RMS(f)
	}
	if !g.Muted() || level() != 0 {
		t.Fatal("a gate started muted passes sound")
	}
	g.SetMuted(false)
	if g.Muted() || level() == 0 {
		t.Fatal("an unmuted gate passes silence")
	}
	g.SetMuted(true)
	if level() != 0 {
		t.Fatal("a muted gate passes sound")
	}
	// Muted, it still reads the source every frame: a microphone keeps
	// its pace.
	level()
	if src.reads != 4 {
		t.Errorf("source read %d times for 4 frames", src.reads)
	}
	if err := g.ReadFrame(context.Background(), f); !errors.Is(err, io.EOF) {
		t.Errorf("ReadFrame at the end = %v, want io.EOF", err)
	}
	g.Close()
	if !src.closed {
		t.Error("Close did not close the source")
	}
}
