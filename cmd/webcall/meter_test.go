package main

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/fakeclock"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/audio/device"
)

func TestMeterRow(t *testing.T) {
	silent := []float64{audio.SilenceDBFS, audio.SilenceDBFS, audio.SilenceDBFS}
	tests := []struct {
		name       string
		mic, agent []float64
		want       string
	}{
		{"silence", silent, silent, "mic ▁▁▁  -∞ dB   agent ▁▁▁  -∞ dB"},
		{"speech rising", []float64{-70, -45, -23}, silent, "mic ▁▃▅ -23 dB   agent ▁▁▁  -∞ dB"},
		{"agent speaking", silent, []float64{-12, -8, -5}, "mic ▁▁▁  -∞ dB   agent ▇▇█  -5 dB"},
		{"scale ends", []float64{-60, -59, 0}, []float64{-0.4, -90, -119.6}, "mic ▁▁█   0 dB   agent █▁▁ -120 dB"},
		{"a quiet room", []float64{-65.4}, []float64{-100}, "mic ▁ -65 dB   agent ▁ -100 dB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := meterRow(tt.mic, tt.agent); got != tt.want {
				t.Errorf("meterRow = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLevelBlock(t *testing.T) {
	// Every block is used, in order, from the floor to full scale.
	var got []rune
	for db := meterFloorDB; db <= 0; db += 7.5 {
		got = append(got, levelBlock(db))
	}
	if string(got) != "▁▂▃▄▅▆▇██" {
		t.Errorf("blocks from %g dB to 0 in steps of 7.5: %q", meterFloorDB, string(got))
	}
	if levelBlock(audio.SilenceDBFS) != '▁' || levelBlock(math.Inf(-1)) != '▁' || levelBlock(3) != '█' {
		t.Error("levels beyond the scale are not drawn at its ends")
	}
}

// tone is a frame at a given level: a square wave of amplitude a has an
// RMS of a.
func tone(db float64) audio.Frame {
	f := audio.NewFrame()
	a := int16(32768 * math.Pow(10, db/20))
	for i := range f {
		f[i] = a
		if i%2 == 1 {
			f[i] = -a
		}
	}
	return f
}

// frames is a Source of the same frame, forever.
type frames struct{ f audio.Frame }

func (s frames) ReadFrame(_ context.Context, f audio.Frame) error { copy(f, s.f); return nil }
func (s frames) Close() error                                     { return nil }

// The meter reads what the microphone sends (silence while muted) and
// what the agent says, and keeps the last readings.
func TestLevelMeterReadings(t *testing.T) {
	clock := fakeclock.New(t, time.Unix(1000, 0))
	gate := device.NewGate(frames{tone(-20)}, false)
	m := newLevelMeter(clock)
	mic := &meteredSource{Source: gate, meter: m.mic}
	agent := &meteredSink{meter: m.agent}
	f := audio.NewFrame()

	read := func(t *testing.T) {
		t.Helper()
		if err := mic.ReadFrame(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name string
		do   func(t *testing.T)
		want string
	}{
		{"nothing yet", func(*testing.T) {}, "mic ▁▁▁▁▁  -∞ dB   agent ▁▁▁▁▁  -∞ dB"},
		{"the user speaks", read, "mic ▁▁▁▁▆ -20 dB   agent ▁▁▁▁▁  -∞ dB"},
		{"the agent speaks", func(t *testing.T) {
			read(t)
			if err := agent.Write(tone(-10)); err != nil {
				t.Fatal(err)
			}
		}, "mic ▁▁▁▆▆ -20 dB   agent ▁▁▁▁▇ -10 dB"},
		{"muted", func(t *testing.T) {
			gate.SetMuted(true)
			read(t)
		}, "mic ▁▁▆▆▁  -∞ dB   agent ▁▁▁▇▁  -∞ dB"},
	}
	for _, s := range steps {
		s.do(t)
		if got := m.read(); got != s.want {
			t.Errorf("after %s: %q, want %q", s.name, got, s.want)
		}
		clock.Advance(meterInterval) // the agent's last chunk is older than the meter's hold by the next step
	}
}

// The agent's audio still reaches the output behind the meter, and the
// call's Flush and PlayoutStats reach it too.
func TestMeteredSinkPassesThrough(t *testing.T) {
	out := &playoutSink{}
	s := &meteredSink{meter: audio.NewMeter(nil), out: out}
	if err := s.Write(make([]int16, 480)); err != nil {
		t.Fatal(err)
	}
	s.Flush()
	if u, o := s.PlayoutStats(); u != 3 || o != 4 {
		t.Errorf("PlayoutStats = %d, %d; want the output's 3, 4", u, o)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if out.written != 480 || out.flushes != 1 || !out.closed {
		t.Errorf("output got %d samples, %d flushes, closed %v", out.written, out.flushes, out.closed)
	}
	if s.meter.Samples() != 480 {
		t.Errorf("meter measured %d samples, want 480", s.meter.Samples())
	}

	// Without an output (the speaker could not be opened) only the meter
	// hears the agent.
	alone := &meteredSink{meter: audio.NewMeter(nil)}
	if err := alone.Write(make([]int16, 960)); err != nil {
		t.Fatal(err)
	}
	alone.Flush()
	if u, o := alone.PlayoutStats(); u != 0 || o != 0 {
		t.Errorf("PlayoutStats without an output = %d, %d", u, o)
	}
	if err := alone.Close(); err != nil {
		t.Fatal(err)
	}
}

type playoutSink struct {
	written, flushes int
	closed           bool
}

func (p *playoutSink) Write(s []int16) error                     { p.written += len(s); return nil }
func (p *playoutSink) Flush()                                    { p.flushes++ }
func (p *playoutSink) PlayoutStats() (underruns, overruns int64) { return 3, 4 }
func (p *playoutSink) Close() error                              { p.closed = true; return nil }
