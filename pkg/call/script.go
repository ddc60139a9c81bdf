package call

import (
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// phase is where a file input is: waiting for the agent, lead silence,
// speech, trailing silence, done.
type phase int

const (
	phaseWaiting phase = iota
	phaseLead
	phaseSpeaking
	phaseTrailing
	phaseDone
	phaseCount
)

// scriptReader is the audio.Reader behind a file call: silence until
// start, then lead silence, the file, trailing silence, then silence for
// ever. It never returns io.EOF, so the track never goes quiet on the wire.
type scriptReader struct {
	samples     []int16
	leadFrames  int
	trailFrames int

	mu      sync.Mutex
	started bool
	frame   int // frames read since start
}

func newScriptReader(samples []int16, lead, trail time.Duration) *scriptReader {
	return &scriptReader{
		samples:     samples,
		leadFrames:  framesIn(lead),
		trailFrames: framesIn(trail),
	}
}

func framesIn(d time.Duration) int { return int((d + audio.FrameDuration - 1) / audio.FrameDuration) }

func (r *scriptReader) speechFrames() int {
	return (len(r.samples) + audio.FrameSamples - 1) / audio.FrameSamples
}

func (r *scriptReader) speechDuration() time.Duration {
	return time.Duration(len(r.samples)) * time.Second / audio.SampleRate
}

// start begins the lead silence with the next frame.
func (r *scriptReader) start() {
	r.mu.Lock()
	r.started = true
	r.mu.Unlock()
}

// phase is the phase of the frame most recently read.
func (r *scriptReader) phase() phase {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.phaseLocked(r.frame - 1)
}

func (r *scriptReader) phaseLocked(i int) phase {
	switch {
	case !r.started || i < 0:
		return phaseWaiting
	case i < r.leadFrames:
		return phaseLead
	case i < r.leadFrames+r.speechFrames():
		return phaseSpeaking
	case i < r.leadFrames+r.speechFrames()+r.trailFrames:
		return phaseTrailing
	default:
		return phaseDone
	}
}

func (r *scriptReader) ReadFrame(f audio.Frame) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(f)
	if !r.started {
		return nil
	}
	i := r.frame
	r.frame++
	if r.phaseLocked(i) == phaseSpeaking {
		off := (i - r.leadFrames) * audio.FrameSamples
		copy(f, r.samples[off:min(off+audio.FrameSamples, len(r.samples))])
	}
	return nil
}
