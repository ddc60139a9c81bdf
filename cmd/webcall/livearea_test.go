package main

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// fakeScreen records what the live area's goroutine draws.
type fakeScreen struct {
	mu      sync.Mutex
	ticks   []time.Duration
	footers []string
	fail    error
	ticked  chan struct{} // receives after each tick, if not nil
}

func (f *fakeScreen) Tick(d time.Duration) error {
	f.mu.Lock()
	f.ticks = append(f.ticks, d)
	err := f.fail
	f.mu.Unlock()
	if f.ticked != nil {
		select {
		case f.ticked <- struct{}{}:
		default:
		}
	}
	return err
}

func (f *fakeScreen) SetFooter(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.footers = append(f.footers, s)
	return f.fail
}

// The goroutine ticks at once and on, with the time it is given, reads
// the meter with the first tick, and its stop waits for it and removes
// the meter's row; it may be called again.
func TestLiveAreaTicksAndStops(t *testing.T) {
	defer leaktest.Check(t)()
	screen := &fakeScreen{ticked: make(chan struct{}, 1)}
	var n time.Duration
	elapsed := func() time.Duration { n += time.Second; return n }
	stop := runLiveArea(screen, newLevelMeter(nil), elapsed, time.Millisecond)
	for range 3 {
		<-screen.ticked
	}
	stop()
	stop()
	screen.mu.Lock()
	defer screen.mu.Unlock()
	if len(screen.ticks) < 3 || screen.ticks[0] != time.Second || screen.ticks[2] != 3*time.Second {
		t.Errorf("ticks %v, want 1s, 2s, 3s, …", screen.ticks)
	}
	if len(screen.footers) < 2 || !strings.HasPrefix(screen.footers[0], "mic ") || screen.footers[len(screen.footers)-1] != "" {
		t.Errorf("footers %q, want a meter row first and the row removed last", screen.footers)
	}
}

// Without a microphone there is no meter, and the clock still ticks.
func TestLiveAreaWithoutMeter(t *testing.T) {
	defer leaktest.Check(t)()
	screen := &fakeScreen{ticked: make(chan struct{}, 1)}
	stop := runLiveArea(screen, nil, func() time.Duration { return 0 }, time.Millisecond)
	<-screen.ticked
	<-screen.ticked
	stop()
	if len(screen.footers) != 0 {
		t.Errorf("footers %q without a meter", screen.footers)
	}
}

// A terminal that fails ends the goroutine; stop then returns.
func TestLiveAreaEndsWhenTheScreenFails(t *testing.T) {
	defer leaktest.Check(t)()
	screen := &fakeScreen{fail: errors.New("terminal gone"), ticked: make(chan struct{}, 1)}
	stop := runLiveArea(screen, nil, func() time.Duration { return 0 }, time.Hour)
	<-screen.ticked
	stop()
}

// On a real TTY renderer: the status row appears with the first tick, and
// the meter's reading ends it.
func TestLiveAreaOnATTY(t *testing.T) {
	defer leaktest.Check(t)()
	var out lockedBuffer
	tty := transcript.NewTTY(&out, transcript.TTYOptions{Width: func() int { return 80 }, StatusRow: true})
	stop := runLiveArea(tty, newLevelMeter(nil), func() time.Duration { return 1500 * time.Millisecond }, time.Hour)
	stop()
	got := out.String()
	if !strings.Contains(got, "connecting…  0:01   mic ▁▁▁▁▁  -∞ dB   agent ▁▁▁▁▁  -∞ dB\n") {
		t.Errorf("no status row with the meter at its end in %q", got)
	}
	if err := tty.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix([]byte(out.String()), []byte("\x1b[J")) {
		t.Errorf("the live area is not erased at the end: %q", out.String())
	}
}
