//go:build noportaudio

package device

import (
	"context"
	"log/slog"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/failure"
)

func unsupported() error {
	return failure.New(failure.Device, "built without audio device support (-tags noportaudio)").
		WithHint("make the call from and to audio files, or rebuild without -tags noportaudio").WithCond(ErrUnsupported)
}

// List fails: this build has no PortAudio.
func List(context.Context, *slog.Logger) ([]Info, error) { return nil, unsupported() }

// Open fails: this build has no PortAudio.
func Open(context.Context, Config) (*Device, error) { return nil, unsupported() }

// Device is never opened in this build; its methods exist so that callers
// compile the same with and without PortAudio.
type Device struct{}

func (*Device) Capture() *Capture    { return nil }
func (*Device) Playback() *Playback  { return nil }
func (*Device) EchoCancelling() bool { return false }
func (*Device) Description() string  { return "" }
func (*Device) Close() error         { return nil }

// Capture is never opened in this build.
type Capture struct{}

var _ audio.Source = (*Capture)(nil)

func (*Capture) ReadFrame(context.Context, audio.Frame) error { return ErrClosed }
func (*Capture) Close() error                                 { return nil }

// Playback is never opened in this build.
type Playback struct{}

var (
	_ audio.Sink            = (*Playback)(nil)
	_ audio.Flusher         = (*Playback)(nil)
	_ audio.PlayoutReporter = (*Playback)(nil)
)

func (*Playback) Write([]int16) error { return ErrClosed }
func (*Playback) Flush()              {}
func (*Playback) Stats() PlayoutStats { return PlayoutStats{} }

// PlayoutStats is never reached in this build.
func (*Playback) PlayoutStats() (underruns, overruns int64) { return 0, 0 }
func (*Playback) Close() error                              { return nil }
