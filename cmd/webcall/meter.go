package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// The level meter: on a terminal, a call through the microphone ends the
// status row (livearea.go) with the levels of what the microphone sends
// and of what the agent says, as a short history and a number:
//
//	mic ▁▃▅▇▅ -23 dB   agent ▁▁▁▁▁  -∞ dB
//
// The live area's goroutine takes a reading every meterInterval; whether
// the microphone is muted is the status row's to say, from the mute
// events.

const (
	// meterInterval is how often a reading is taken: often enough to
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

	micLevels, agentLevels []float64 // the last readings, oldest first
}

func newLevelMeter(clock audio.Clock) *levelMeter {
	m := &levelMeter{mic: audio.NewMeter(clock), agent: audio.NewMeter(clock)}
	for range meterHistory {
		m.micLevels = append(m.micLevels, audio.SilenceDBFS)
		m.agentLevels = append(m.agentLevels, audio.SilenceDBFS)
	}
	return m
}

// read takes a reading of both meters and returns the row to show.
func (m *levelMeter) read() string {
	m.micLevels = append(m.micLevels[1:], m.mic.Level())
	m.agentLevels = append(m.agentLevels[1:], m.agent.Level())
	return meterRow(m.micLevels, m.agentLevels)
}

// meterRow formats the row: each side's readings, oldest first, as
// blocks, then its last reading in dB.
func meterRow(mic, agent []float64) string {
	var b strings.Builder
	b.WriteString("mic ")
	writeLevels(&b, mic)
	b.WriteString("   agent ")
	writeLevels(&b, agent)
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
