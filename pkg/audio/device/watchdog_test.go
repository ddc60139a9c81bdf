//go:build !noportaudio

package device

import (
	"errors"
	"log/slog"
	"testing"
	"time"
)

// watched is a Device whose watchdog times are set by hand: started is
// moved into the past instead of waiting.
func watched(age time.Duration) *Device {
	return &Device{log: slog.New(slog.DiscardHandler), started: time.Now().Add(-age),
		inInfo: Info{Name: "mic"}, outInfo: Info{Name: "spk"}}
}

// at returns the watchdog time of a moment ago before now.
func (d *Device) at(ago time.Duration) int64 { return int64(time.Since(d.started)-ago) + 1 }

func TestWatchdog(t *testing.T) {
	tests := []struct {
		name        string
		age         time.Duration // since the streams started
		lastIn      time.Duration // ago; <0: never
		lastOut     time.Duration
		lastRestart time.Duration // ago; <0: never
		restart     bool
		restartDir  Direction
		lostIn      bool
		lostOut     bool
	}{
		// A null sink holds a new stream back for up to 2 s: no restart.
		{name: "slow start", age: 2500 * time.Millisecond, lastIn: -1, lastOut: -1, lastRestart: -1},
		{name: "quiet for the null sink's hold after an underrun", age: time.Minute, lastIn: 10 * time.Millisecond, lastOut: 2 * time.Second, lastRestart: -1},
		{name: "stalled speaker", age: time.Minute, lastIn: 10 * time.Millisecond, lastOut: StallTimeout, lastRestart: -1, restart: true, restartDir: Output},
		{name: "never started", age: StallTimeout + time.Millisecond, lastIn: -1, lastOut: -1, lastRestart: -1, restart: true, restartDir: Input},
		{name: "one restart per StallTimeout", age: time.Minute, lastIn: 5 * time.Second, lastOut: 5 * time.Second, lastRestart: time.Second},
		{name: "lost microphone", age: time.Minute, lastIn: LostTimeout + time.Millisecond, lastOut: 0, lastRestart: 0, lostIn: true},
		{name: "lost from the start", age: LostTimeout + time.Millisecond, lastIn: -1, lastOut: -1, lastRestart: 0, lostIn: true, lostOut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := watched(tt.age)
			for _, v := range []struct {
				ago time.Duration
				set func(int64)
			}{{tt.lastIn, d.lastIn.Store}, {tt.lastOut, d.lastOut.Store}, {tt.lastRestart, d.lastRestart.Store}} {
				if v.ago >= 0 {
					v.set(d.at(v.ago))
				}
			}
			dir, _, restart := d.stalled(true, true)
			if restart != tt.restart || (restart && dir != tt.restartDir) {
				t.Errorf("stalled = %s, %v; want %s, %v", dir, restart, tt.restartDir, tt.restart)
			}
			if lost := d.check(Input) != nil; lost != tt.lostIn {
				t.Errorf("microphone lost = %v, want %v", lost, tt.lostIn)
			}
			if lost := d.check(Output) != nil; lost != tt.lostOut {
				t.Errorf("speaker lost = %v, want %v", lost, tt.lostOut)
			}
			if err := d.check(Input); err != nil && !errors.Is(err, ErrLost) {
				t.Errorf("lost error %v does not name ErrLost", err)
			}
		})
	}
}

// A restart is marked as begun by the check that decides it, so two
// streams of one device (or two checks) do not both restart.
func TestStalledMarksTheRestart(t *testing.T) {
	d := watched(time.Minute)
	d.lastIn.Store(d.at(5 * time.Second))
	if _, _, ok := d.stalled(true, false); !ok {
		t.Fatal("a microphone quiet for 5 s is not due a restart")
	}
	if _, _, ok := d.stalled(true, false); ok {
		t.Error("a second check right after restarts again")
	}
}
