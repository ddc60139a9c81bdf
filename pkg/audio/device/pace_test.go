//go:build !noportaudio

package device

import (
	"testing"
	"time"
)

func TestPace(t *testing.T) {
	const rate, period = 48000, 480 // 10 ms periods
	tick := time.Second * period / rate
	type step struct {
		every   time.Duration // between periods
		periods int
	}
	for _, tc := range []struct {
		name  string
		steps []step
		ahead bool // after the steps
		// within: how much clock time may pass before a pace that is
		// to be ahead is (0: no bound)
		within time.Duration
	}{
		{name: "real time for ten minutes", steps: []step{{tick, 60000}}},
		{name: "a buffer's fill, then real time",
			steps: []step{{0, 10}, {tick, 60000}}},
		{name: "a device clock 0.1% fast for an hour",
			steps: []step{{tick * 999 / 1000, 360000}}},
		{name: "a stall, then what the buffer held at once",
			steps: []step{{3 * time.Second, 1}, {0, 50}, {tick, 1000}}},
		{name: "a stream spinning at ten times real time",
			steps: []step{{tick / 10, 1000}}, ahead: true, within: 150 * time.Millisecond},
		{name: "a stream that returns at once",
			steps: []step{{0, 200}}, ahead: true, within: time.Nanosecond},
		{name: "ahead, then real time again: stays ahead until restarted",
			steps: []step{{0, 200}, {tick, 1000}}, ahead: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPace(rate)
			now := int64(1)
			var aheadAt time.Duration = -1
			for _, s := range tc.steps {
				for range s.periods {
					now += int64(s.every)
					if !p.move(now, period) && aheadAt < 0 {
						aheadAt = time.Duration(now - 1)
					}
				}
			}
			if p.ahead != tc.ahead {
				t.Fatalf("ahead = %v (frames %d in a window begun at %s, now %s), want %v",
					p.ahead, p.frames, time.Duration(p.start-1), time.Duration(now-1), tc.ahead)
			}
			if tc.within > 0 && aheadAt > tc.within {
				t.Errorf("ahead after %s of clock time, want within %s", aheadAt, tc.within)
			}
			if p.ahead && p.move(now+int64(time.Hour), period) {
				t.Error("a pace that was ahead moved again")
			}
		})
	}
}
