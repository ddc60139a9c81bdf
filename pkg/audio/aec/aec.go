// Package aec removes acoustic echo: the far end's voice (what the speaker
// played) coming back through the microphone. Without it, an agent on open
// speakers hears itself, takes its own voice for the user's, and interrupts
// itself.
//
// It wraps speexdsp's echo canceller (an adaptive MDF filter that models the
// path from speaker to microphone and subtracts the predicted echo) followed
// by speexdsp's preprocessor, which suppresses the residual echo the linear
// filter leaves. speexdsp was chosen over the WebRTC audio processing module
// (both are packaged in Debian) because it is a plain C library with a
// five-function API that cgo calls directly, while the WebRTC module is a
// C++ API (Debian ships the old 0.3 snapshot) that would need a C++ shim
// compiled into webcall. speexdsp's canceller does well on the linear,
// stable echo paths of a laptop's or kiosk's speaker and microphone, which
// is the case this serves; see the tests for the attenuation it reaches.
//
// Canceller is the filter on its own, for signals already lined up. Stream
// is what a microphone needs: it measures the echo's delay, lines the far
// end up with it, follows it when it moves (delay.go says why), and
// silences the echo the filter lets through meanwhile (leak.go).
//
// Neither is safe for concurrent use: one goroutine (the one reading the
// microphone) owns it.
package aec

/*
#cgo pkg-config: speexdsp
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

static int set_int(SpeexPreprocessState *st, int request, int value) {
	return speex_preprocess_ctl(st, request, &value);
}
static int set_echo_rate(SpeexEchoState *st, int rate) {
	return speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
}
static int set_echo_state(SpeexPreprocessState *pp, SpeexEchoState *st) {
	return speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_ECHO_STATE, st);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// BlockDuration is the unit the canceller works in. 10 ms is what speexdsp
// recommends: short enough to adapt quickly, long enough for its FFTs to be
// cheap. A 20 ms audio frame is two blocks.
const BlockDuration = 10 * time.Millisecond

// Latency is how much later a sound comes out of Process than it went in:
// the residual echo suppressor works on overlapping windows and holds back
// one block.
const Latency = BlockDuration

// DefaultTail is how long an echo the filter can model by default: the part
// of the delay between playing a sample and hearing it back that the caller
// did not take out by delaying far (see Process), plus the room's
// reverberation. Longer tails adapt more slowly: in the tests, 200 ms
// reaches the deepest cancellation after a few seconds of speech, 500 ms
// needs twice as long.
const DefaultTail = 200 * time.Millisecond

// Residual echo suppression, in dB (speexdsp's defaults are -40 and -15):
// how far the preprocessor pushes down what the filter could not cancel,
// when only the far end talks and when both do. The "active" value is
// gentler so that the user's own voice survives talking over the agent.
const (
	echoSuppress       = -40
	echoSuppressActive = -15
	// noiseSuppress is the most the preprocessor may take off noise.
	// Its noise suppression has to be enabled, because speexdsp applies
	// the residual echo suppression through the same spectral gain (with
	// it disabled the suppressor does nothing: 23 dB less echo instead of
	// 31 in the tests), but at -1 dB it leaves the user's voice alone:
	// noise reduction is the agent's speech recognition's business.
	noiseSuppress = -1
)

// ErrClosed is returned by Process after Close.
var ErrClosed = errors.New("echo canceller is closed")

// Canceller removes the echo of a far-end signal from a near-end one, at
// one sample rate, mono.
type Canceller struct {
	echo  *C.SpeexEchoState
	pre   *C.SpeexPreprocessState
	block int     // samples per BlockDuration
	in    []int16 // one block of near, copied: speexdsp cannot work in place
}

// New returns a canceller for mono PCM16 at sampleRate whose filter models
// echoes up to tail long (DefaultTail if zero).
func New(sampleRate int, tail time.Duration) (*Canceller, error) {
	if tail == 0 {
		tail = DefaultTail
	}
	if sampleRate < 8000 || sampleRate > 48000 || sampleRate%100 != 0 {
		return nil, fmt.Errorf("echo canceller: unsupported sample rate %d Hz (want 8000 to 48000, a multiple of 100)", sampleRate)
	}
	if tail < BlockDuration || tail > 2*time.Second {
		return nil, fmt.Errorf("echo canceller: tail %s out of range (%s to 2s)", tail, BlockDuration)
	}
	block := sampleRate * int(BlockDuration/time.Millisecond) / 1000
	filter := int(tail.Seconds() * float64(sampleRate))
	c := &Canceller{block: block, in: make([]int16, block)}
	c.echo = C.speex_echo_state_init(C.int(block), C.int(filter))
	if c.echo == nil {
		return nil, errors.New("echo canceller: speex_echo_state_init failed")
	}
	C.set_echo_rate(c.echo, C.int(sampleRate))
	c.pre = C.speex_preprocess_state_init(C.int(block), C.int(sampleRate))
	if c.pre == nil {
		C.speex_echo_state_destroy(c.echo)
		return nil, errors.New("echo canceller: speex_preprocess_state_init failed")
	}
	// Only echo suppression: gain control and dereverberation would
	// change the user's voice, which the agent's own speech recognition
	// is tuned to hear as it is (see noiseSuppress for the denoiser).
	C.set_int(c.pre, C.SPEEX_PREPROCESS_SET_DENOISE, 1)
	C.set_int(c.pre, C.SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, C.int(noiseSuppress))
	C.set_int(c.pre, C.SPEEX_PREPROCESS_SET_AGC, 0)
	C.set_int(c.pre, C.SPEEX_PREPROCESS_SET_DEREVERB, 0)
	C.set_int(c.pre, C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, echoSuppress)
	C.set_int(c.pre, C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, echoSuppressActive)
	C.set_echo_state(c.pre, c.echo)
	return c, nil
}

// BlockSamples is the number of samples in one block; Process takes whole
// blocks.
func (c *Canceller) BlockSamples() int { return c.block }

// Process writes to out the near-end signal (what the microphone heard)
// with the echo of far (what the speaker played at the same time) removed.
// All three have the same length, a multiple of BlockSamples; out may be
// near. far must be aligned with near the same way on every call: the echo
// of a far sample must show up in near at the same or a later position
// within the tail.
func (c *Canceller) Process(near, far, out []int16) error {
	if c.echo == nil {
		return ErrClosed
	}
	if len(near) != len(far) || len(near) != len(out) || len(near)%c.block != 0 {
		return fmt.Errorf("echo canceller: near %d, far %d, out %d samples: want equal lengths, a multiple of %d",
			len(near), len(far), len(out), c.block)
	}
	in := c.in
	for off := 0; off < len(near); off += c.block {
		copy(in, near[off:off+c.block])
		o := out[off : off+c.block]
		C.speex_echo_cancellation(c.echo, (*C.spx_int16_t)(unsafe.Pointer(&in[0])),
			(*C.spx_int16_t)(unsafe.Pointer(&far[off])), (*C.spx_int16_t)(unsafe.Pointer(&o[0])))
		C.speex_preprocess_run(c.pre, (*C.spx_int16_t)(unsafe.Pointer(&o[0])))
	}
	return nil
}

// Reset forgets the echo path learnt so far, for when the path changed (a
// different device) or the two signals lost their alignment.
func (c *Canceller) Reset() {
	if c.echo != nil {
		C.speex_echo_state_reset(c.echo)
	}
}

// Close frees the canceller. It is safe to call more than once.
func (c *Canceller) Close() error {
	if c.echo != nil {
		C.speex_preprocess_state_destroy(c.pre)
		C.speex_echo_state_destroy(c.echo)
		c.echo, c.pre = nil, nil
	}
	return nil
}
