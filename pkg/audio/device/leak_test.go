//go:build !noportaudio

package device

import (
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

// Opening and closing a device leaves no goroutine behind.
func TestNoGoroutineLeft(t *testing.T) {
	startPulse(t)
	// The daemon's helpers started by startPulse live for the package.
	defer leaktest.Check(t)()
	for range 3 {
		d := openDevice(t, Config{Capture: true, Playback: true, EchoCancel: true})
		readFor(t, d.Capture(), 100*time.Millisecond)
		if err := d.Playback().Write(make([]int16, 960)); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
