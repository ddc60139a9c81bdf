package audio

import (
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestLevels(t *testing.T) {
	square := make([]int16, 960)
	for i := range square {
		square[i] = 32767
		if i%2 == 1 {
			square[i] = -32767
		}
	}
	tests := []struct {
		name    string
		samples []int16
		rms     float64
		dbfs    float64
	}{
		{"nothing", nil, 0, SilenceDBFS},
		{"digital silence", make([]int16, 960), 0, SilenceDBFS},
		{"full-scale square", square, 32767.0 / 32768, 0},
		{"half-scale sine", sine(48000, 48000, 1000, 0.5), 0.5 / math.Sqrt2, -9.03},
		{"one LSB", []int16{1, -1, 1, -1}, 1.0 / 32768, -90.31},
	}
	for _, tt := range tests {
		rms := RMS(tt.samples)
		if math.Abs(rms-tt.rms) > 1e-4 {
			t.Errorf("%s: RMS %.6f, want %.6f", tt.name, rms, tt.rms)
		}
		if db := DBFS(rms); math.Abs(db-tt.dbfs) > 0.01 {
			t.Errorf("%s: %.2f dBFS, want %.2f", tt.name, db, tt.dbfs)
		}
	}
}

func TestSpeechRatio(t *testing.T) {
	speech := loadTestClip(t, "hello.wav").Samples
	quietNoise := sine(48000, 48000, 3000, 0.001) // -63 dBFS: line noise, not speech
	halfAndHalf := append(sine(48000, 48000, 300, 0.1), make([]int16, 48000)...)
	tests := []struct {
		name     string
		samples  []int16
		min, max float64
	}{
		{"nothing", nil, 0, 0},
		{"silence", make([]int16, 48000), 0, 0},
		{"quiet noise", quietNoise, 0, 0},
		{"tone then silence", halfAndHalf, 0.5, 0.5},
		{"speech", speech, 0.6, 1},
		{"a short word", sine(300, 48000, 300, 0.3), 1, 1},
	}
	for _, tt := range tests {
		if r := SpeechRatio(tt.samples); r < tt.min || r > tt.max {
			t.Errorf("%s: speech ratio %.3f, want %.2f to %.2f", tt.name, r, tt.min, tt.max)
		}
	}
}

type recordingSink struct {
	got    []int16
	err    error
	closed int
}

func (s *recordingSink) Write(p []int16) error {
	s.got = append(s.got, p...)
	return s.err
}

func (s *recordingSink) Close() error {
	s.closed++
	return s.err
}

func TestTee(t *testing.T) {
	errA := errors.New("sink a broke")
	a, b := &recordingSink{err: errA}, &recordingSink{}
	tee := Tee(a, Discard, b)
	if err := tee.Write([]int16{1, 2, 3}); !errors.Is(err, errA) {
		t.Errorf("Write error %v, want %v", err, errA)
	}
	if !equalPCM(b.got, []int16{1, 2, 3}) || !equalPCM(a.got, []int16{1, 2, 3}) {
		t.Errorf("sinks got %v and %v: a failing sink must not starve the others", a.got, b.got)
	}
	if err := tee.Close(); !errors.Is(err, errA) || a.closed != 1 || b.closed != 1 {
		t.Errorf("Close: error %v, closed %d and %d times", err, a.closed, b.closed)
	}
}

// The Meter's tests run in a synctest bubble: time.Now and sleeps are
// virtual, so the timings are exact and nothing waits.
func TestMeter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMeter(nil)
		if m.Level() != SilenceDBFS || !m.LastSpeech().IsZero() || m.Samples() != 0 {
			t.Fatalf("new meter: level %v, last speech %v, %d samples", m.Level(), m.LastSpeech(), m.Samples())
		}
		start := time.Now()
		m.Write(sine(960, 48000, 440, 0.5))
		if got := m.Level(); math.Abs(got+9.03) > 0.05 {
			t.Errorf("level %.2f dBFS, want -9.03", got)
		}
		if !m.LastSpeech().Equal(start) {
			t.Errorf("last speech %v, want %v", m.LastSpeech(), start)
		}

		time.Sleep(40 * time.Millisecond)
		m.Write(make([]int16, 960)) // silence: level drops, last speech stays
		if m.Level() != SilenceDBFS || !m.LastSpeech().Equal(start) {
			t.Errorf("after silence: level %v, last speech %v", m.Level(), m.LastSpeech())
		}

		// A long chunk with a short word in it is speech.
		time.Sleep(40 * time.Millisecond)
		chunk := make([]int16, 4800)
		copy(chunk[3000:], sine(960, 48000, 440, 0.2))
		m.Write(chunk)
		if want := start.Add(80 * time.Millisecond); !m.LastSpeech().Equal(want) {
			t.Errorf("last speech %v, want %v", m.LastSpeech(), want)
		}
		if m.Samples() != 960+960+4800 {
			t.Errorf("%d samples, want %d", m.Samples(), 960+960+4800)
		}

		// A track that stops sending reads as silent.
		m.Write(sine(960, 48000, 440, 0.5))
		time.Sleep(levelHold + time.Millisecond)
		if m.Level() != SilenceDBFS {
			t.Errorf("level %.1f dBFS %v after the audio stopped, want silence", m.Level(), levelHold+time.Millisecond)
		}
	})
}

// TestMeterConcurrent lets the race detector watch a writer and a reader.
func TestMeterConcurrent(t *testing.T) {
	m := NewMeter(nil)
	frame := sine(960, 48000, 440, 0.5)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 500 {
			m.Write(frame)
		}
	})
	for range 500 {
		_ = m.Level()
		_ = m.LastSpeech()
		_ = m.Samples()
	}
	wg.Wait()
	if m.Samples() != 500*960 {
		t.Errorf("%d samples, want %d", m.Samples(), 500*960)
	}
}

func BenchmarkMeter(b *testing.B) {
	m := NewMeter(nil)
	frame := sine(FrameSamples, SampleRate, 440, 0.5)
	b.ReportAllocs()
	b.SetBytes(int64(2 * FrameSamples))
	for b.Loop() {
		m.Write(frame)
	}
}

// Onsets: when speech starts again after a pause, as the call uses to
// time the start of the agent's answer. The agent's track sends no
// packets at all between replies, so the pause is one of wall-clock time.
func TestMeterOnsets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMeter(nil)
		loud, quiet := sine(960, 48000, 440, 0.5), make([]int16, 960)
		m.Write(quiet)
		if !m.FirstSpeech().IsZero() || !m.OnsetAfter(time.Time{}).IsZero() {
			t.Fatal("silence counted as speech")
		}
		start := time.Now()
		for i := 0; i < 10; i++ { // 200 ms of speech, no new onset inside
			m.Write(loud)
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Second) // a pause, with no packets at all
		second := time.Now()
		m.Write(loud)

		if got := m.FirstSpeech(); !got.Equal(start) {
			t.Fatalf("first speech %v, want %v", got, start)
		}
		if got := m.LastSpeech(); !got.Equal(second) {
			t.Fatalf("last speech %v, want %v", got, second)
		}
		if got := m.OnsetAfter(start.Add(time.Millisecond)); !got.Equal(second) {
			t.Fatalf("onset after the first burst %v, want %v", got, second)
		}
		if got := m.OnsetAfter(second.Add(time.Millisecond)); !got.IsZero() {
			t.Fatalf("onset after everything %v, want none", got)
		}
		if got := m.Samples(); got != 12*960 {
			t.Fatalf("samples %d", got)
		}
		// The runs of speech: the first ends at its last loud chunk (the
		// pause is not speech), the second is one chunk so far.
		want := []Run{{start, start.Add(180 * time.Millisecond)}, {second, second}}
		if got := m.Runs(); !slices.Equal(got, want) {
			t.Fatalf("runs %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond) // a gap between words
		m.Write(loud)
		if got := m.Runs(); len(got) != 2 || !got[1].End.Equal(second.Add(100*time.Millisecond)) {
			t.Fatalf("runs %v: the second should have grown by the word after a short gap", got)
		}
		// Many onsets: the list stays bounded and the first is kept.
		for i := 0; i < 3*maxRuns; i++ {
			time.Sleep(OnsetPause)
			m.Write(loud)
		}
		if got := m.FirstSpeech(); !got.Equal(start) {
			t.Fatalf("first speech after many onsets %v, want %v", got, start)
		}
		if n := len(m.Runs()); n > maxRuns {
			t.Fatalf("%d runs kept", n)
		}
	})
}
