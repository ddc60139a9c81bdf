//go:build !noportaudio

package device

import (
	"context"
	"testing"
	"time"
)

// A sound server that hangs (stopped, not gone: it answers nothing and
// closes nothing) makes ReadFrame and Write fail with a lost-device error
// within LostTimeout, and Close return within CloseTimeout, whatever
// PortAudio's calls do meanwhile: the stream's goroutine never waits in a
// blocking read or write.
func TestFrozenSoundServer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test needs a PulseAudio daemon")
	}
	s := startPulse(t)
	d, err := Open(context.Background(), Config{Capture: true, Playback: true, EchoCancel: true})
	if err != nil {
		t.Fatal(err)
	}
	readFor(t, d.Capture(), 200*time.Millisecond)
	if err := s.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer s.Thaw()

	expectLost(t, d, "a frozen sound server")
}
