package device

import (
	"sync"
	"testing"
	"time"
)

const testRate = 48000

func samplesIn(d time.Duration) int { return int(d.Seconds() * testRate) }

// ramp returns n samples counting up from first, so tests can tell which
// audio was played and in what order.
func ramp(first, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16((first + i) % 30000)
	}
	return s
}

// reads plays d of audio from p in 10 ms device blocks and returns it.
func reads(p *Playout, d time.Duration) []int16 {
	var out []int16
	block := make([]int16, samplesIn(10*time.Millisecond))
	for range int(d / (10 * time.Millisecond)) {
		p.Read(block)
		out = append(out, block...)
	}
	return out
}

func silent(s []int16) bool {
	for _, v := range s {
		if v != 0 {
			return false
		}
	}
	return true
}

// firstSound returns the index of the first non-zero sample, or -1.
func firstSound(s []int16) int {
	for i, v := range s {
		if v != 0 {
			return i
		}
	}
	return -1
}

func TestPlayoutWaitsForTargetThenPlaysInOrder(t *testing.T) {
	p := NewPlayout(testRate)
	frame := samplesIn(20 * time.Millisecond)
	p.Write(ramp(1, frame))
	p.Write(ramp(1+frame, frame))
	if got := reads(p, 20*time.Millisecond); !silent(got) {
		t.Fatal("played before the target latency was buffered")
	}
	p.Write(ramp(1+2*frame, frame)) // 60 ms queued: the target
	got := reads(p, 60*time.Millisecond)
	want := ramp(1, 3*frame)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sample %d = %d, want %d: not played in order", i, got[i], want[i])
		}
	}
	if s := p.Stats(); s.Underruns != 0 || s.Overruns != 0 || s.Target != TargetLatency {
		t.Errorf("stats = %+v, want no underruns or overruns and target %s", s, TargetLatency)
	}
}

// A sound shorter than the target is played once it has waited the target.
func TestPlayoutPlaysShortSound(t *testing.T) {
	p := NewPlayout(testRate)
	p.Write(ramp(1, samplesIn(20*time.Millisecond)))
	got := reads(p, 100*time.Millisecond)
	start := firstSound(got)
	if start < 0 {
		t.Fatal("a 20 ms sound was never played")
	}
	if wait := time.Duration(start) * time.Second / testRate; wait > TargetLatency {
		t.Errorf("played after %s, want at most %s", wait, TargetLatency)
	}
}

func TestPlayoutUnderrun(t *testing.T) {
	tests := []struct {
		name      string
		gap       time.Duration
		underruns int64
	}{
		{"a late packet is an underrun", 40 * time.Millisecond, 1},
		{"a pause between replies is not", MaxUnderrunGap + 100*time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPlayout(testRate)
			p.Write(ramp(1, samplesIn(TargetLatency)))
			if got := reads(p, TargetLatency); silent(got) {
				t.Fatal("nothing played")
			}
			// Dry: silence for the gap, then audio again.
			if got := reads(p, tt.gap); !silent(got) {
				t.Fatal("played something during the gap")
			}
			p.Write(ramp(1, samplesIn(TargetLatency)))
			if got := reads(p, TargetLatency); silent(got) {
				t.Fatal("nothing played after the gap")
			}
			if s := p.Stats(); s.Underruns != tt.underruns || s.Overruns != 0 {
				t.Errorf("stats = %+v, want %d underruns", s, tt.underruns)
			}
		})
	}
}

// A burst beyond MaxLatency drops the oldest audio down to the target, so
// the delay never stays above MaxLatency.
func TestPlayoutOverrunDropsOldest(t *testing.T) {
	p := NewPlayout(testRate)
	burst := samplesIn(MaxLatency + 50*time.Millisecond)
	p.Write(ramp(1, burst))
	if got := p.Buffered(); got != TargetLatency {
		t.Errorf("buffered %s after the overrun, want %s", got, TargetLatency)
	}
	got := reads(p, TargetLatency)
	if want := int16(1 + burst - samplesIn(TargetLatency)); got[0] != want {
		t.Errorf("first sample played = %d, want %d (the newest %s of the burst)", got[0], want, TargetLatency)
	}
	s := p.Stats()
	if wantDropped := MaxLatency + 50*time.Millisecond - TargetLatency; s.Overruns != 1 || s.Dropped != wantDropped {
		t.Errorf("stats = %+v, want 1 overrun and %s dropped", s, wantDropped)
	}
}

// Flush drops what is queued (the agent was interrupted): nothing of it is
// played, and the silence that follows is not an underrun.
func TestPlayoutFlush(t *testing.T) {
	p := NewPlayout(testRate)
	p.Write(ramp(1, samplesIn(200*time.Millisecond)))
	reads(p, 50*time.Millisecond)
	p.Flush()
	if got := reads(p, 100*time.Millisecond); !silent(got) {
		t.Fatal("played audio queued before Flush")
	}
	p.Write(ramp(1, samplesIn(TargetLatency)))
	reads(p, TargetLatency)
	s := p.Stats()
	if s.Flushes != 1 || s.Dropped != 150*time.Millisecond || s.Underruns != 0 {
		t.Errorf("stats = %+v, want 1 flush, 150ms dropped, no underruns", s)
	}
	p.Flush() // nothing queued: not counted
	if s := p.Stats(); s.Flushes != 1 {
		t.Errorf("flushing an empty buffer counted: %+v", s)
	}
}

// The receive path writes while the stream's goroutine reads.
func TestPlayoutConcurrentUse(t *testing.T) {
	p := NewPlayout(testRate)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 500 {
			p.Write(ramp(1, 960))
		}
	}()
	go func() {
		defer wg.Done()
		block := make([]int16, 480)
		for range 1000 {
			p.Read(block)
		}
	}()
	wg.Wait()
	p.Flush()
	_ = p.Stats()
}

// BenchmarkPlayout measures one 20 ms write and the two 10 ms reads that
// play it: the jitter buffer's cost per frame of the agent's audio.
func BenchmarkPlayout(b *testing.B) {
	p := NewPlayout(testRate)
	frame := ramp(1, 960)
	block := make([]int16, 480)
	p.Write(ramp(1, samplesIn(TargetLatency)))
	b.ReportAllocs()
	for b.Loop() {
		p.Write(frame)
		p.Read(block)
		p.Read(block)
	}
}
