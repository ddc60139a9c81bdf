package device

import (
	"sync"
	"time"
)

// Jitter buffer tuning. The agent's audio arrives from the network decoder
// in 20 ms chunks, unevenly (packets bunch up, goroutines get scheduled
// late); the speaker takes it at its own steady pace. The buffer holds
// TargetLatency of audio before it starts playing, which absorbs that
// unevenness at a cost of TargetLatency of delay.
const (
	// TargetLatency is how much audio the buffer holds before it starts
	// (or, after running dry, restarts) playing: three packets' worth, so
	// one late or bunched packet does not make the speaker run dry.
	TargetLatency = 60 * time.Millisecond
	// MaxLatency bounds the delay: when more than this is queued (the
	// network delivered a burst after a stall, or the sender's clock runs
	// faster than the speaker's), the oldest audio is dropped down to
	// TargetLatency, so the agent is never heard late for long.
	MaxLatency = 250 * time.Millisecond
	// MaxUnderrunGap separates running dry from the agent falling silent:
	// the agent sends nothing between replies, so only a gap shorter than
	// this, after which its audio resumes, counts as an underrun.
	MaxUnderrunGap = 300 * time.Millisecond
)

// Playout is the jitter buffer in front of a speaker: Write queues audio
// as it arrives, Read takes it at the device's pace, playing silence while
// there is none. Its Write and Read may be called from different
// goroutines (the receive path and the stream's goroutine).
type Playout struct {
	rate int

	mu      sync.Mutex
	buf     []int16 // queued audio is buf[head:]
	head    int
	playing bool // started: Read plays what is queued
	// waited counts the samples Read has played as silence while audio
	// was queued but the buffer was still filling: a short sound (less
	// than TargetLatency) is played once it has waited that long.
	waited int
	// dry counts the samples of silence played since the buffer ran dry
	// while playing; -1 when it is not dry (never started, refilled, or
	// flushed).
	dry int

	target, max, gap int // in samples
	stats            PlayoutStats
	dropped          int64 // samples
}

// NewPlayout returns an empty buffer for audio at rate Hz.
func NewPlayout(rate int) *Playout {
	samples := func(d time.Duration) int { return int(int64(rate) * int64(d) / int64(time.Second)) }
	return &Playout{
		rate:   rate,
		dry:    -1,
		target: samples(TargetLatency),
		max:    samples(MaxLatency),
		gap:    samples(MaxUnderrunGap),
		stats:  PlayoutStats{Target: TargetLatency},
	}
}

// Write queues samples for playing. It never blocks for longer than a copy.
func (p *Playout) Write(samples []int16) {
	if len(samples) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dry >= 0 {
		if p.dry < p.gap {
			p.stats.Underruns++
		}
		p.dry = -1
	}
	p.buf = append(p.buf, samples...)
	if n := p.queued(); n > p.max {
		p.drop(n - p.target)
		p.stats.Overruns++
	}
	if p.queued() >= p.target {
		p.playing = true
	}
}

// Read fills out with the next samples to play, and silence where there
// are none.
func (p *Playout) Read(out []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	if !p.playing && p.queued() > 0 {
		p.waited += len(out)
		if p.waited >= p.target {
			p.playing = true
		}
	}
	if p.playing {
		n = copy(out, p.buf[p.head:])
		p.head += n
		p.compact()
		if p.queued() == 0 {
			// Drained: fill up to the target again before playing
			// more, so that one late packet does not turn into a
			// stutter of many small gaps.
			p.playing = false
			p.waited = 0
			p.dry = len(out) - n
		}
	} else if p.dry >= 0 {
		p.dry += len(out)
	}
	clear(out[n:])
}

// Flush drops everything queued: the agent was interrupted, and what it
// was about to say must not be played.
func (p *Playout) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := p.queued(); n > 0 {
		p.drop(n)
		p.stats.Flushes++
	}
	p.playing = false
	p.waited = 0
	p.dry = -1
}

// Buffered returns how much audio is queued.
func (p *Playout) Buffered() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.duration(int64(p.queued()))
}

// Stats returns the buffer's counters so far.
func (p *Playout) Stats() PlayoutStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Dropped = p.duration(p.dropped)
	return s
}

func (p *Playout) queued() int { return len(p.buf) - p.head }

// drop discards the n oldest queued samples.
func (p *Playout) drop(n int) {
	p.head += n
	p.dropped += int64(n)
	p.compact()
}

// compact moves the queued samples to the front of buf once the consumed
// part is the larger one, so buf stays about MaxLatency long.
func (p *Playout) compact() {
	if p.head > 0 && p.head >= p.queued() {
		n := copy(p.buf, p.buf[p.head:])
		p.buf = p.buf[:n]
		p.head = 0
	}
}

func (p *Playout) duration(samples int64) time.Duration {
	return time.Duration(samples) * time.Second / time.Duration(p.rate)
}
