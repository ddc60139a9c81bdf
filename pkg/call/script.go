package call

import (
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// scriptReader is the audio.Reader behind a scripted call: silence, until
// the loop gives it a turn's clip to play (after some lead silence); then
// the clip; then silence again, for ever. It never returns io.EOF, so the
// track never goes quiet on the wire, and it never waits: the loop decides
// when a clip starts, the pacer when each frame goes out.
type scriptReader struct {
	mu        sync.Mutex
	lead      int     // frames of silence still to send before the clip
	clip      []int16 // the clip being played; nil between clips
	turn      int     // the turn the clip belongs to
	pos       int     // samples of clip already read
	gen       int     // counts the clips played, for clipFrame.gen
	lastFrame clipFrame
}

// clipFrame says what the frame most recently read was.
type clipFrame struct {
	inClip bool
	turn   int
	gen    int  // which playing of a clip: play's return value
	first  bool // the clip's first frame
	last   bool // the clip's last frame
}

func newScriptReader() *scriptReader { return &scriptReader{} }

func framesIn(d time.Duration) int { return int((d + audio.FrameDuration - 1) / audio.FrameDuration) }

// play starts turn's clip after lead silence, from the next frame on, and
// returns the number of this playing, which its frames carry. A clip still
// playing is cut off: the loop starts a turn only once the previous one
// has been sent (or cut short by a lost connection, see stop).
func (r *scriptReader) play(turn int, samples []int16, lead time.Duration) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	r.lead, r.clip, r.turn, r.pos = framesIn(lead), samples, turn, 0
	if len(samples) == 0 {
		// An empty clip still has one (silent) frame, so its turn is
		// reported as sent like any other.
		r.clip = make([]int16, 1)
	}
	return r.gen
}

// stop cuts the clip playing short: silence from the next frame on.
func (r *scriptReader) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	r.lead, r.clip, r.pos = 0, nil, 0
}

// last says what the frame most recently read was.
func (r *scriptReader) last() clipFrame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastFrame
}

func (r *scriptReader) ReadFrame(f audio.Frame) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(f)
	r.lastFrame = clipFrame{}
	switch {
	case r.lead > 0:
		r.lead--
	case r.clip != nil:
		n := copy(f, r.clip[r.pos:])
		r.lastFrame = clipFrame{inClip: true, turn: r.turn, gen: r.gen, first: r.pos == 0}
		r.pos += n
		if r.pos >= len(r.clip) {
			r.lastFrame.last = true
			r.clip = nil
		}
	}
	return nil
}
