// Package audio is webcall's audio model: 20 ms frames of 48 kHz mono PCM16,
// sources that produce them, and sinks that consume them.
//
// Everything on the wire side of webcall speaks this one format. Files of
// other rates and layouts are converted once when they are opened; devices
// that cannot do 48 kHz convert in their own glue (pkg/audio/device).
//
// Pacing lives in exactly one place: Paced turns a Reader (a file, silence,
// a sequence) into a real-time Source. Devices are paced by their own clock.
// Nothing else in webcall sleeps to keep audio in time.
//
// The pieces:
//   - Files in: LoadFile/Decode read WAV (any common layout), FLAC, Ogg
//     Opus, Ogg Vorbis and MP3, told apart by content, into a Clip (48 kHz
//     mono), refusing more than MaxDuration; DecodeWAV reads WAV alone.
//     NewClipReader, Silence and Concat make Readers.
//   - Rates: Resample converts whole clips, Resampler streams for device
//     glue; both are one windowed-sinc filter (see resample.go for why).
//   - Files out: WAVWriter never leaves a half-written file at its path;
//     SplitWAV continues in a new file at the 4 GiB RIFF limit; Recorder
//     lays the user's and the agent's audio side by side on the timeline
//     of the frames sent.
//   - Measuring: Meter (a Sink), RMS, DBFS and SpeechRatio.
//   - Optional sink abilities: Flusher (drop queued audio on barge-in) and
//     PlayoutReporter (a speaker's underruns and overruns), which the call
//     looks for on its output.
//   - Time: Clock, so that pacing, metering and the call's timers can be
//     driven by tests (internal/fakeclock).
//
// The package starts no goroutines. Its types say which of their methods
// may be called from several goroutines (WAVWriter, SplitWAV, Recorder, Meter
// and PacedSource's Close may).
package audio

import (
	"context"
	"time"
)

const (
	// SampleRate is the rate of every frame: Opus's native rate, so the
	// encoder and decoder never resample.
	SampleRate = 48000
	// FrameDuration is the length of one frame, the usual Opus packet.
	FrameDuration = 20 * time.Millisecond
	// FrameSamples is the number of samples in one mono frame:
	// 48000 Hz * 20 ms = 960.
	FrameSamples = SampleRate * int(FrameDuration/time.Millisecond) / 1000
)

// Frame is one FrameDuration of mono PCM16 at SampleRate (FrameSamples long).
type Frame []int16

// NewFrame returns a silent frame.
func NewFrame() Frame { return make(Frame, FrameSamples) }

// Reader yields frames as fast as it is asked: it never waits for time to
// pass. Files, silence and sequences are Readers; Paced makes them real-time.
type Reader interface {
	// ReadFrame fills f (len FrameSamples) with the next frame. A last,
	// partial frame is padded with silence. It returns io.EOF when there
	// is nothing left, without touching f.
	ReadFrame(f Frame) error
}

// Source yields frames in real time: ReadFrame blocks until the next frame is
// due. A microphone is a Source paced by its own clock; a file becomes one
// through Paced.
type Source interface {
	// ReadFrame fills f with the next frame once it is due. It returns
	// io.EOF when the source is exhausted, and ctx.Err() when ctx ends.
	ReadFrame(ctx context.Context, f Frame) error
	// Close releases the source; it is safe to call more than once.
	Close() error
}

// Sink consumes 48 kHz mono PCM16 in chunks of any length (the network
// delivers whatever the decoder produced). Write must return quickly: it is
// called from the receive path. Write must not keep samples after it
// returns: callers reuse their buffers.
type Sink interface {
	Write(samples []int16) error
	// Close flushes and releases the sink; it is safe to call more than
	// once.
	Close() error
}

// Flusher is a Sink that holds audio back before playing it (a speaker's
// playout buffer) and can drop what it holds. When the agent is
// interrupted (barge-in) or stops speaking, the words still queued are
// stale: the call flushes its output so that they are not heard.
//
// A wrapper around a Sink that may be a Flusher passes Flush on, and says
// so with a compile-time check: var _ audio.Flusher = (*T)(nil).
type Flusher interface {
	Flush()
}

// PlayoutReporter is a Sink that plays audio out in real time and counts
// how its buffer fared: underruns (it ran dry and played silence) and
// overruns (audio arrived faster than it played and was dropped). The call
// reports them in its stats. Wrappers pass it on as they do Flush.
type PlayoutReporter interface {
	PlayoutStats() (underruns, overruns int64)
}
