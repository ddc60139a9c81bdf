package audio

import (
	"sync"
	"sync/atomic"
)

// AgentQueueLimit bounds the agent audio a Recorder holds while waiting for
// user frames to place it on the timeline. The queue only grows when the
// sender stalls or the agent's clock runs faster than ours; past the limit
// the oldest audio is dropped, which brings the agent channel back in time.
const AgentQueueLimit = 2 * SampleRate

// Recorder writes a call to a stereo WAV file on one timeline: the left
// channel is the user's audio as sent, the right the agent's as received.
//
// webcall sends a frame every 20 ms, silence included, so the user's frames
// are the clock: each User call writes one frame of both channels, the
// user's frame on the left and the next FrameSamples of queued agent audio
// (or silence) on the right. The agent's audio arrives in bursts and pauses
// through Agent's Sink, from another goroutine, and waits in a bounded queue
// for its place.
type Recorder struct {
	w WAVFile

	// userMu serialises User's frame building and writing; mu guards the
	// agent queue, so that the receive path never waits on the disk.
	userMu sync.Mutex
	stereo []int16 // one interleaved frame, reused
	agent  []int16 // the agent's share of that frame, reused

	mu    sync.Mutex
	queue []int16 // ring buffer of AgentQueueLimit samples
	head  int     // index of the oldest queued sample
	n     int     // samples queued
	fresh bool    // agent audio arrived since the last User frame

	dropped atomic.Int64
}

// NewRecorder records onto w, which must be a 2-channel 48 kHz WAVWriter
// or SplitWAV. The Recorder owns w from then on: Close closes it.
func NewRecorder(w WAVFile) *Recorder {
	return &Recorder{
		w:      w,
		stereo: make([]int16, 2*FrameSamples),
		agent:  make([]int16, FrameSamples),
		queue:  make([]int16, AgentQueueLimit),
	}
}

// User records one sent frame, with the agent audio due alongside it.
func (r *Recorder) User(f Frame) error {
	r.userMu.Lock()
	defer r.userMu.Unlock()
	n := len(f)
	if n > len(r.agent) {
		r.agent = make([]int16, n)
		r.stereo = make([]int16, 2*n)
	}
	agent := r.agent[:n]
	got := r.takeAgent(agent)
	clear(agent[got:])
	stereo := r.stereo[:2*n]
	for i, v := range f {
		stereo[2*i] = v
		stereo[2*i+1] = agent[i]
	}
	return r.w.Write(stereo)
}

// takeAgent moves queued agent audio into dst and returns how much. A
// partial frame waits one frame for the rest to arrive, since decoders
// deliver audio in chunks that need not match our frames; if nothing more
// arrives, it goes out padded with silence.
func (r *Recorder) takeAgent(dst []int16) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	take := 0
	if r.n >= len(dst) || !r.fresh {
		take = min(r.n, len(dst))
	}
	r.fresh = false
	for i := 0; i < take; {
		k := copy(dst[i:take], r.queue[r.head:min(r.head+take-i, len(r.queue))])
		i += k
		r.head = (r.head + k) % len(r.queue)
	}
	r.n -= take
	return take
}

// Agent returns the Sink for the agent's decoded audio (48 kHz mono). Its
// Write copies and returns at once; its Close does nothing (Close the
// Recorder to end the recording).
func (r *Recorder) Agent() Sink { return agentSink{r} }

type agentSink struct{ r *Recorder }

func (s agentSink) Write(samples []int16) error {
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	size := len(r.queue)
	if len(samples) > size {
		r.dropped.Add(int64(len(samples) - size))
		samples = samples[len(samples)-size:]
	}
	if over := r.n + len(samples) - size; over > 0 {
		r.head = (r.head + over) % size
		r.n -= over
		r.dropped.Add(int64(over))
	}
	tail := (r.head + r.n) % size
	for len(samples) > 0 {
		k := copy(r.queue[tail:], samples)
		samples = samples[k:]
		r.n += k
		tail = (tail + k) % size
	}
	r.fresh = true
	return nil
}

func (agentSink) Close() error { return nil }

// Dropped is the number of agent samples dropped because the queue was full.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Close completes the recording (see WAVWriter.Close). It is safe to call
// more than once.
func (r *Recorder) Close() error { return r.w.Close() }
