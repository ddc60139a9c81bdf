package kiosk

import (
	"context"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/audio/device"
)

// Devices are the kiosk's microphone and speaker as it sees them.
type Devices interface {
	// Open opens them for one call. lost is called, at most once and
	// from any goroutine, when one fails during the call, with the
	// failure.Device error that says so; the call is then over.
	Open(ctx context.Context, lost func(error)) (*CallAudio, error)
	// Check tells whether they could be opened now, and leaves them
	// closed. Its error is a failure.Device error naming what is
	// missing.
	Check(ctx context.Context) error
}

// CallAudio is the sound of one call.
type CallAudio struct {
	Input  audio.Source
	Output audio.Sink
	// Description names the devices, for the status and the log.
	Description string
	// Close closes the devices; the speaker first plays what it holds.
	Close func() error
}

// SoundDevices are real devices, through PortAudio (pkg/audio/device).
// They are opened anew for every call and closed after it, so that a
// device unplugged and plugged in again between calls is simply found
// again, as PortAudio lists the devices afresh at each opening.
type SoundDevices struct {
	// Config names the devices and how to use them; Capture and
	// Playback are set by the kiosk.
	Config device.Config
	// Restarted is called when a stream that went quiet was restarted
	// (for the device_restarts metric and the log).
	Restarted func(silent time.Duration, err error)
}

func (s *SoundDevices) config() device.Config {
	cfg := s.Config
	cfg.Capture, cfg.Playback = true, true
	return cfg
}

// Open opens the microphone and speaker, both: a kiosk that cannot hear
// or cannot be heard takes no call.
func (s *SoundDevices) Open(ctx context.Context, lost func(error)) (*CallAudio, error) {
	cfg := s.config()
	cfg.Restarted = s.Restarted
	dev, err := device.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &CallAudio{
		Input:       dev.Capture(),
		Output:      device.NewCallSpeaker(dev.Playback(), lost),
		Description: dev.Description(),
		Close:       dev.Close,
	}, nil
}

// Check opens both devices, without echo cancellation, and closes them.
func (s *SoundDevices) Check(ctx context.Context) error {
	cfg := s.config()
	cfg.EchoCancel, cfg.HalfDuplex = false, false
	dev, err := device.Open(ctx, cfg)
	if err != nil {
		return err
	}
	return dev.Close()
}
