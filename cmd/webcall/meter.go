package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/audio/device"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// The level meter: on a terminal, a call through the microphone shows a
// row below the transcript with the levels of what the microphone sends
// and of what the agent says, as a short history and a number:
//
//	mic ▁▃▅▇▅ -23 dB   agent ▁▁▁▁▁  -∞ dB  [muted]
//
// One goroutine redraws it every meterInterval; the call command starts it
// with startLevelMeter and ends it with the returned stop function, which
// waits for it and removes the row.

const (
	// meterInterval is how often the row is redrawn: often enough to
	// follow speech, rarely enough to cost nothing.
	meterInterval = 200 * time.Millisecond
	// meterHistory is how many readings each side shows: one second.
	meterHistory = 5
	// meterFloorDB is the bottom of the scale. Speech sits between -30
	// and -10 dBFS; a quiet room below -55.
	meterFloorDB = -60.0
)

// meterBlocks draw a level, from the floor to full scale.
var meterBlocks = []rune("▁▂▃▄▅▆▇█")

// levelMeter holds the two meters and the readings shown.
type levelMeter struct {
	mic, agent *audio.Meter
	gate       *device.Gate // the microphone's mute; nil shows no [muted]

	micLevels, agentLevels []float64 // the last readings, oldest first
}

func newLevelMeter(clock audio.Clock, gate *device.Gate) *levelMeter {
	m := &levelMeter{mic: audio.NewMeter(clock), agent: audio.NewMeter(clock), gate: gate}
	for range meterHistory {
		m.micLevels = append(m.micLevels, audio.SilenceDBFS)
		m.agentLevels = append(m.agentLevels, audio.SilenceDBFS)
	}
	return m
}

// startLevelMeter starts the meter when the transcript is drawn live on a
// terminal (the TTY renderer), the call talks through the microphone, and
// progress is shown (no --quiet). It returns the input and output the
// call should use, metered, and the function that stops the meter (it may
// be called more than once). Otherwise it returns them unchanged and a
// stop that does nothing.
func startLevelMeter(o *callOptions, render transcript.Renderer, aud *callAudio) (audio.Source, audio.Sink, func()) {
	tty, ok := render.(*transcript.TTY)
	if !ok || o.quiet || aud.Input == nil {
		return aud.Input, aud.Output, func() {}
	}
	m := newLevelMeter(nil, aud.Gate)
	return &meteredSource{Source: aud.Input, meter: m.mic}, &meteredSink{meter: m.agent, out: aud.Output}, m.start(tty.SetFooter)
}

// start redraws the row with show until the returned stop, or until show
// fails (the terminal is gone); stop removes the row.
func (m *levelMeter) start(show func(string) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(meterInterval)
		defer tick.Stop()
		for {
			if show(m.read()) != nil {
				return
			}
			select {
			case <-ctx.Done():
				_ = show("")
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

// read takes a reading of both meters and returns the row to show.
func (m *levelMeter) read() string {
	m.micLevels = append(m.micLevels[1:], m.mic.Level())
	m.agentLevels = append(m.agentLevels[1:], m.agent.Level())
	return meterRow(m.micLevels, m.agentLevels, m.gate != nil && m.gate.Muted())
}

// meterRow formats the row: each side's readings, oldest first, as
// blocks, then its last reading in dB.
func meterRow(mic, agent []float64, muted bool) string {
	var b strings.Builder
	b.WriteString("mic ")
	writeLevels(&b, mic)
	b.WriteString("   agent ")
	writeLevels(&b, agent)
	if muted {
		b.WriteString("  [muted]")
	}
	return b.String()
}

func writeLevels(b *strings.Builder, levels []float64) {
	for _, db := range levels {
		b.WriteRune(levelBlock(db))
	}
	if len(levels) > 0 {
		fmt.Fprintf(b, " %3s dB", dbText(levels[len(levels)-1]))
	}
}

// levelBlock is the block for a level: the lowest at or below the floor,
// the highest at full scale, evenly in between.
func levelBlock(db float64) rune {
	if db <= meterFloorDB {
		return meterBlocks[0]
	}
	i := int((db - meterFloorDB) / -meterFloorDB * float64(len(meterBlocks)))
	return meterBlocks[min(i, len(meterBlocks)-1)]
}

// dbText is a level rounded to whole decibels, or -∞ for silence.
func dbText(db float64) string {
	if db <= audio.SilenceDBFS {
		return "-∞"
	}
	return fmt.Sprintf("%.0f", min(db, 0))
}

// meteredSource measures the frames the call sends: what the agent hears,
// silence while muted.
type meteredSource struct {
	audio.Source
	meter *audio.Meter
}

func (s *meteredSource) ReadFrame(ctx context.Context, f audio.Frame) error {
	if err := s.Source.ReadFrame(ctx, f); err != nil {
		return err
	}
	return s.meter.Write(f)
}

// meteredSink measures the agent's audio on its way to out (the speaker,
// a file, or nil for nowhere). It passes the call's Flush and
// PlayoutStats on to out, as the call would ask out itself.
type meteredSink struct {
	meter *audio.Meter
	out   audio.Sink
}

var (
	_ audio.Flusher         = (*meteredSink)(nil)
	_ audio.PlayoutReporter = (*meteredSink)(nil)
)

func (s *meteredSink) Write(samples []int16) error {
	_ = s.meter.Write(samples) // a Meter never fails
	if s.out == nil {
		return nil
	}
	return s.out.Write(samples)
}

// Flush drops what out still queues: the agent was interrupted.
func (s *meteredSink) Flush() {
	if f, ok := s.out.(audio.Flusher); ok {
		f.Flush()
	}
}

// PlayoutStats are out's underruns and overruns, or none.
func (s *meteredSink) PlayoutStats() (underruns, overruns int64) {
	if p, ok := s.out.(audio.PlayoutReporter); ok {
		return p.PlayoutStats()
	}
	return 0, 0
}

func (s *meteredSink) Close() error {
	if s.out == nil {
		return nil
	}
	return s.out.Close()
}
