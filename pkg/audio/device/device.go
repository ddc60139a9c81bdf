// Package device connects webcall to real microphones and speakers through
// PortAudio, behind the audio.Source and audio.Sink interfaces, so that
// everything else in webcall is written and tested without hardware.
//
// Open opens the microphone, the speaker, or both in one full-duplex
// stream. Its Capture is an audio.Source paced by the device's clock; its
// Playback is an audio.Sink that feeds the speaker through a jitter buffer
// (Playout) with a fixed target latency, and can be flushed when the agent
// is interrupted. With both directions open, the capture is echo-cancelled
// (package aec) against what the playback played at the same time
// (reference.go), so the agent does not hear itself.
//
// Devices are opened at 48 kHz mono when they can do it, otherwise at their
// own rate and channel count; the glue resamples (audio.Resampler) and
// mixes stereo down or duplicates mono as needed.
//
// Build with -tags noportaudio to leave PortAudio out: Open and List then
// fail with a failure.Device error that says so, and the rest of webcall is
// unaffected.
//
// # Threads and goroutines
//
// PortAudio is reached through github.com/gordonklaus/portaudio, with its
// blocking (read and write) streams. Each open stream has one goroutine
// (stream.run, in stream.go) that owns it: it reads a period from the
// microphone when one is there and writes one to the speaker when it has
// room, and sleeps otherwise, never blocking inside PortAudio. Per period
// it only copies: it takes the speaker's samples from the Playout, mixes
// the microphone's samples down, and hands them (with what the speaker
// played meanwhile, for the echo canceller) to the capture queue. It also
// restarts its stream when no audio has moved for StallTimeout, and stops
// and closes it when the device is closed. Everything else happens on the
// caller's goroutines: resampling and echo cancellation in
// Capture.ReadFrame, resampling in Playback.Write. A device that stops
// moving audio (unplugged, PulseAudio gone) is noticed by those calls'
// checks (LostTimeout), never by a hang. Open and Close bound their
// PortAudio calls with timeouts too; a call still stuck in PortAudio after
// its timeout is left to finish on its own goroutine.
//
// The only cgo of the package's own is cstderr_linux.c, which the module
// has no counterpart for: it points C's stderr, where ALSA and JACK print,
// at the debug log.
//
// # Terminal noise
//
// PortAudio's start-up on machines without audio hardware makes ALSA, JACK
// and PortAudio itself print dozens of lines on stderr. All three print
// through C's stdio stream `stderr`, never through Go, so on Linux the
// package points C's `stderr` at a stream of its own before PortAudio is
// first initialised (see cstderr_linux.c): their lines go to the debug log
// (Config.Log, `webcall -v`) and never reach the terminal, at start-up and
// later (a device lost mid-call makes PortAudio print too). Go's own
// os.Stderr writes to file descriptor 2 directly and is not affected. The
// alternative, pointing descriptor 2 elsewhere around each PortAudio call,
// would also swallow whatever the rest of webcall printed meanwhile, and
// would miss what PortAudio and ALSA print from their own threads.
package device

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// Direction is a device's role: capturing or playing.
type Direction int

const (
	// Input is a microphone.
	Input Direction = iota
	// Output is a speaker.
	Output
)

func (d Direction) String() string {
	if d == Input {
		return "input"
	}
	return "output"
}

const (
	// StallTimeout is how long a direction may go without audio before
	// its stream is restarted. A working stream moves a period every
	// 10 ms, but a PulseAudio null sink (what containers and CI give a
	// program for a speaker or a microphone) holds a new stream's audio
	// back for up to 2 s, and again after every underrun: a restart
	// within those 2 s starts the wait over and never lets the stream
	// begin. A stream can also get stuck for good while its device is
	// fine; restarting it, once a StallTimeout, gives it a chance to
	// recover before LostTimeout ends the call.
	StallTimeout = 3 * time.Second
	// LostTimeout is how long a direction may go without audio, from the
	// start or since it last moved, before the device counts as lost:
	// long enough for a stream restarted after StallTimeout to sit out
	// another 2 s hold of a null sink, with some slack for a busy
	// machine.
	LostTimeout = 6 * time.Second
	// OpenTimeout bounds opening a device (PortAudio's start-up, device
	// queries and stream start), so that an audio system that does not
	// answer makes an error, not a hang.
	OpenTimeout = 10 * time.Second
	// CloseTimeout bounds stopping and closing a stream.
	CloseTimeout = 2 * time.Second
)

// HalfDuplexHold is how long after the speaker falls silent the
// microphone stays muted in half-duplex, on top of the stream's own
// latency: the room's echo outlasts the sound.
const HalfDuplexHold = 250 * time.Millisecond

// EchoWarmup is how much of the speaker's sound the echo canceller hears
// before it is trusted. A new canceller has yet to learn the room: over
// the first second or two of the agent's speech it takes out only a few
// dB, and an agent would hear its own first words as the user's and stop.
// Until then the microphone is muted while the speaker plays, as in
// half-duplex; after, both talk at once.
const EchoWarmup = 2 * time.Second

// audibleLevel is the sample value (about -50 dBFS) above which a block
// played on the speaker counts as sound for half-duplex.
const audibleLevel = 100

// Hints for device errors, in the device layer's own words; a command
// that knows its flags says more (each error names its condition, see
// errors.go).
const (
	hintList = "check which audio devices there are, or make the call from an audio file instead of a microphone"
	hintLost = "check that the device is still connected, or make the call from an audio file instead of a microphone"
)

// ErrClosed is returned by ReadFrame and Write after Close.
var ErrClosed = errors.New("audio device is closed")

// Info describes one device as PortAudio sees it.
type Info struct {
	// Index is PortAudio's number for the device: stable while the
	// machine's devices do not change, and accepted by Config.
	Index          int     `json:"index"`
	Name           string  `json:"name"`
	HostAPI        string  `json:"host_api"`
	InputChannels  int     `json:"input_channels"`
	OutputChannels int     `json:"output_channels"`
	DefaultRate    float64 `json:"default_sample_rate"`
	// DefaultInput and DefaultOutput mark the system's default devices,
	// the ones used when Config names none.
	DefaultInput  bool `json:"default_input"`
	DefaultOutput bool `json:"default_output"`
}

// Channels returns the device's channel count in direction dir.
func (i Info) Channels(dir Direction) int {
	if dir == Input {
		return i.InputChannels
	}
	return i.OutputChannels
}

func (i Info) isDefault(dir Direction) bool {
	if dir == Input {
		return i.DefaultInput
	}
	return i.DefaultOutput
}

func (i Info) String() string { return fmt.Sprintf("%d %q", i.Index, i.Name) }

// Config says which devices to open and how.
type Config struct {
	// Capture opens a microphone: Input names it ("" for the default
	// device, else an index or a case-insensitive part of its name).
	Capture bool
	Input   string
	// Playback opens a speaker, named by Output the same way.
	Playback bool
	Output   string
	// EchoCancel removes the speaker's sound from the microphone's
	// (package aec). It needs both directions.
	EchoCancel bool
	// HalfDuplex silences the microphone while the speaker plays (and
	// for HalfDuplexHold after, until the last echo has died down): the
	// fallback for speakers too loud or distorted for echo cancellation.
	// It needs both directions.
	HalfDuplex bool
	// Log receives debug details: the stream parameters chosen, and what
	// ALSA, JACK and PortAudio printed. Nil discards them.
	Log *slog.Logger
	// Restarted, if set, is called each time a stalled stream has been
	// restarted (see StallTimeout), with how long it had been quiet and
	// the error if it could not be opened and started again. It is
	// called on the device's own goroutine, never after Close returns.
	Restarted func(silent time.Duration, err error)
}

// Find picks the device spec names for direction dir among devs: the
// default device (or the only one) when spec is empty, the device of that index when spec
// is a number, else the one device whose name contains spec (ignoring
// case; a name equal to spec wins over names that only contain it). Every
// error is a failure.Device error that lists what exists.
func Find(devs []Info, spec string, dir Direction) (Info, error) {
	var usable []Info
	for _, d := range devs {
		if d.Channels(dir) > 0 {
			usable = append(usable, d)
		}
	}
	if len(usable) == 0 {
		return Info{}, noDevices(dir)
	}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		for _, d := range usable {
			if d.isDefault(dir) {
				return d, nil
			}
		}
		if len(usable) == 1 {
			return usable[0], nil
		}
		return Info{}, failure.Newf(failure.Device, "there is no default audio %s device; devices with %ss: %s", dir, dir, listNames(usable)).
			WithHint("pick one by its index or by part of its name").WithCond(ErrNoDefault)
	}
	if idx, err := strconv.Atoi(spec); err == nil {
		for _, d := range devs {
			if d.Index != idx {
				continue
			}
			if d.Channels(dir) == 0 {
				return Info{}, failure.Newf(failure.Device, "audio device %s has no %ss; devices with %ss: %s", d, dir, dir, listNames(usable)).
					WithHint(hintList).WithCond(ErrNotFound)
			}
			return d, nil
		}
		return Info{}, failure.Newf(failure.Device, "there is no audio device %d; devices with %ss: %s", idx, dir, listNames(usable)).
			WithHint(hintList).WithCond(ErrNotFound)
	}
	var matches []Info
	for _, d := range usable {
		if strings.EqualFold(d.Name, spec) {
			return d, nil
		}
		if strings.Contains(strings.ToLower(d.Name), strings.ToLower(spec)) {
			matches = append(matches, d)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return Info{}, failure.Newf(failure.Device, "no audio %s device matches %q; devices with %ss: %s", dir, spec, dir, listNames(usable)).
			WithHint(hintList).WithCond(ErrNotFound)
	default:
		return Info{}, failure.Newf(failure.Device, "%q matches %d audio %s devices: %s", spec, len(matches), dir, listNames(matches)).
			WithHint("give the device's index, or more of its name").WithCond(ErrAmbiguous)
	}
}

func listNames(devs []Info) string {
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = d.String()
	}
	return strings.Join(names, ", ")
}

func noDevices(dir Direction) error {
	return failure.Newf(failure.Device, "no audio %s devices found (no sound card, or the sound server is not running)", dir).
		WithHint("check that the sound server runs, or make the call from and to audio files").WithCond(ErrNoDevice)
}

// lostError is the error for a device that stopped delivering or taking
// audio mid-stream.
func lostError(dir Direction, name string, silent time.Duration) error {
	return failure.Newf(failure.Device, "the audio %s device %q stopped responding (no audio for %s): it was unplugged or its sound server went away",
		dir, name, silent.Round(100*time.Millisecond)).WithHint(hintLost).WithCond(ErrLost)
}

// PlayoutStats are the numbers a Playback reports at the end of a call.
type PlayoutStats struct {
	// Target is the jitter buffer's target latency (TargetLatency).
	Target time.Duration
	// Underruns counts the times the speaker ran out of audio in the
	// middle of the agent's speech (a gap shorter than MaxUnderrunGap)
	// and played silence.
	Underruns int64
	// Overruns counts the times the buffer grew beyond MaxLatency and the
	// oldest audio was dropped.
	Overruns int64
	// Flushes counts Flush calls that dropped audio (interruptions).
	Flushes int64
	// Dropped is how much audio overruns and flushes threw away.
	Dropped time.Duration
}
