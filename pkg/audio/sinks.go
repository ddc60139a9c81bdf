package audio

import (
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Levels are in dBFS: decibels of the RMS relative to full scale, so a
// full-scale square wave is 0 dBFS and a full-scale sine -3 dBFS.
const (
	// SpeechThresholdDBFS separates speech from silence and line noise:
	// speech at a normal level sits between -30 and -10 dBFS, Opus
	// comfort noise and a quiet room below -55.
	SpeechThresholdDBFS = -45.0
	// SilenceDBFS is the level of digital silence. DBFS never returns
	// less, so levels stay finite (and printable as JSON).
	SilenceDBFS = -120.0
)

// RMS is the root mean square of samples as a fraction of full scale (0 to
// 1). It is 0 for no samples.
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum uint64
	for _, v := range samples {
		sum += uint64(int64(v) * int64(v))
	}
	return math.Sqrt(float64(sum)/float64(len(samples))) / 32768
}

// DBFS converts an RMS of full scale 1 to decibels, floored at SilenceDBFS.
func DBFS(rms float64) float64 {
	if rms <= 0 {
		return SilenceDBFS
	}
	return max(20*math.Log10(rms), SilenceDBFS)
}

// SpeechRatio is the fraction (0 to 1) of the 20 ms frames of samples whose
// level is above SpeechThresholdDBFS. A last, partial frame counts if it is
// at least half a frame long (or the only one). Tests use it to tell speech
// from silence.
func SpeechRatio(samples []int16) float64 {
	var frames, speech int
	for len(samples) > 0 {
		n := min(FrameSamples, len(samples))
		if n < FrameSamples/2 && frames > 0 {
			break
		}
		frames++
		if DBFS(RMS(samples[:n])) > SpeechThresholdDBFS {
			speech++
		}
		samples = samples[n:]
	}
	if frames == 0 {
		return 0
	}
	return float64(speech) / float64(frames)
}

// Discard is a Sink that drops everything.
var Discard Sink = discard{}

type discard struct{}

func (discard) Write([]int16) error { return nil }
func (discard) Close() error        { return nil }

// Tee returns a Sink that writes every chunk to each of sinks in turn. A
// failing sink does not stop the others; Write and Close return all their
// errors joined.
//
// The Sink it returns is neither a Flusher nor a PlayoutReporter: those
// belong to one sink (the speaker), and the call asks its output for them
// directly rather than through the tee that feeds it.
func Tee(sinks ...Sink) Sink { return tee(sinks) }

type tee []Sink

func (t tee) Write(samples []int16) error {
	var errs []error
	for _, s := range t {
		if err := s.Write(samples); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (t tee) Close() error {
	var errs []error
	for _, s := range t {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// levelHold is how long Level reports a chunk's level: a track that stops
// sending (an agent between replies) reads as silence afterwards, not as its
// last word frozen on a level meter.
const levelHold = 100 * time.Millisecond

// Meter is a Sink that measures what passes through it: how much audio came,
// how loud it is now, and when it last held speech. The call uses it to tell
// when the agent has stopped talking and to show levels. Write is called from
// the receive path; the getters may be called from any goroutine.
type Meter struct {
	clock      Clock
	samples    atomic.Int64
	level      atomic.Uint64 // math.Float64bits of the last chunk's dBFS
	lastWrite  atomic.Int64  // clock time of the last chunk, Unix ns
	lastSpeech atomic.Int64  // clock time of the last speech, Unix ns; 0: never

	// runs are the stretches of speech separated by pauses of OnsetPause
	// or more, oldest first (at most maxRuns): each starts at an onset and
	// ends at the last speech before the next onset. Written only on an
	// onset, never per frame; the last run's end is lastSpeech.
	mu    sync.Mutex
	runs  []Run
	first time.Time
}

// Run is a stretch of speech: from its first chunk holding speech to its
// last, with no pause of OnsetPause or more inside.
type Run struct {
	Start, End time.Time
}

// OnsetPause is how long a pause must be for the speech after it to count
// as a new start (an onset): longer than the gaps between words, shorter
// than the gap between a question and its answer.
const OnsetPause = 400 * time.Millisecond

// maxRuns bounds what a long call keeps: an hour of replies with a pause
// every few seconds. The oldest half goes when it is reached.
const maxRuns = 4096

// NewMeter returns a Meter that reads time from clock (nil: the system
// clock).
func NewMeter(clock Clock) *Meter {
	if clock == nil {
		clock = SystemClock
	}
	m := &Meter{clock: clock}
	m.level.Store(math.Float64bits(SilenceDBFS))
	return m
}

// Write measures samples. A chunk holds speech when any 20 ms of it is above
// SpeechThresholdDBFS, so a long chunk with a short word still counts.
func (m *Meter) Write(samples []int16) error {
	if len(samples) == 0 {
		return nil
	}
	now := m.clock.Now().UnixNano()
	var sum uint64
	speech := false
	for rest := samples; len(rest) > 0; {
		n := min(FrameSamples, len(rest))
		var part uint64
		for _, v := range rest[:n] {
			part += uint64(int64(v) * int64(v))
		}
		if DBFS(math.Sqrt(float64(part)/float64(n))/32768) > SpeechThresholdDBFS {
			speech = true
		}
		sum += part
		rest = rest[n:]
	}
	m.samples.Add(int64(len(samples)))
	m.level.Store(math.Float64bits(DBFS(math.Sqrt(float64(sum)/float64(len(samples))) / 32768)))
	m.lastWrite.Store(now)
	if speech {
		if prev := m.lastSpeech.Swap(now); prev == 0 || now-prev >= int64(OnsetPause) {
			m.addOnset(time.Unix(0, now), prev)
		}
	}
	return nil
}

// addOnset starts a run at t; prevSpeech (Unix ns, 0 for none) is the last
// speech before it, where the previous run ended.
func (m *Meter) addOnset(t time.Time, prevSpeech int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first.IsZero() {
		m.first = t
	}
	if n := len(m.runs); n > 0 && prevSpeech != 0 {
		m.runs[n-1].End = time.Unix(0, prevSpeech)
	}
	if len(m.runs) == maxRuns {
		m.runs = append(m.runs[:0], m.runs[maxRuns/2:]...)
	}
	m.runs = append(m.runs, Run{Start: t, End: t})
}

// Runs returns the stretches of speech so far, oldest first; the last one
// ends at LastSpeech. The slice is the caller's.
func (m *Meter) Runs() []Run {
	m.mu.Lock()
	runs := slices.Clone(m.runs)
	m.mu.Unlock()
	if n := len(runs); n > 0 {
		if last := m.LastSpeech(); last.After(runs[n-1].End) {
			runs[n-1].End = last
		}
	}
	return runs
}

// FirstSpeech is when the first chunk holding speech arrived, or the zero
// time if none has.
func (m *Meter) FirstSpeech() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.first
}

// OnsetAfter is the first start of speech (after a pause of OnsetPause)
// at or after t, or the zero time if there is none: when an answer began.
func (m *Meter) OnsetAfter(t time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.runs {
		if !r.Start.Before(t) {
			return r.Start
		}
	}
	return time.Time{}
}

// Close does nothing: a Meter holds no resources. It exists so that a Meter
// is a Sink.
func (m *Meter) Close() error { return nil }

// Samples is the number of samples written so far.
func (m *Meter) Samples() int64 { return m.samples.Load() }

// Level is the level of the last chunk in dBFS, or SilenceDBFS when nothing
// arrived in the last 100 ms.
func (m *Meter) Level() float64 {
	last := m.lastWrite.Load()
	if last == 0 || m.clock.Now().UnixNano()-last > int64(levelHold) {
		return SilenceDBFS
	}
	return math.Float64frombits(m.level.Load())
}

// LastSpeech is when the last chunk holding speech arrived, or the zero
// time if none has.
func (m *Meter) LastSpeech() time.Time {
	ns := m.lastSpeech.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
