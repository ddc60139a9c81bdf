package device

import (
	"context"
	"sync/atomic"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// Gate is a Source that can be muted: while muted it still reads its
// source (so a microphone keeps its pace and its queue stays short) but
// yields silence. Muting sends silence rather than unpublishing the track,
// so the agent sees a quiet user, not one who left, and unmuting is
// instant. SetMuted may be called from any goroutine (a key press, the
// call loop for half-duplex).
type Gate struct {
	src   audio.Source
	muted atomic.Bool
}

var _ audio.Source = (*Gate)(nil)

// NewGate wraps src, muted or not.
func NewGate(src audio.Source, muted bool) *Gate {
	g := &Gate{src: src}
	g.muted.Store(muted)
	return g
}

// SetMuted mutes or unmutes from the next frame on.
func (g *Gate) SetMuted(muted bool) { g.muted.Store(muted) }

// Muted reports whether the gate is muted.
func (g *Gate) Muted() bool { return g.muted.Load() }

// ReadFrame reads the next frame from the source and silences it while
// muted.
func (g *Gate) ReadFrame(ctx context.Context, f audio.Frame) error {
	if err := g.src.ReadFrame(ctx, f); err != nil {
		return err
	}
	if g.muted.Load() {
		clear(f)
	}
	return nil
}

// Close closes the source.
func (g *Gate) Close() error { return g.src.Close() }
