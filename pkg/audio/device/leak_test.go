//go:build !noportaudio

package device

import (
	"runtime"
	"testing"
	"time"
)

// Opening and closing a device leaves no goroutine behind.
func TestNoGoroutineLeft(t *testing.T) {
	startPulse(t)
	before := runtime.NumGoroutine()
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
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
