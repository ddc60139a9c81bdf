// Package device connects webcall to real microphones and speakers through
// PortAudio, behind the audio.Source and audio.Sink interfaces, so that
// everything else in webcall is written and tested without hardware.
//
// Open opens the microphone, the speaker, or both in one full-duplex
// stream. Its Capture is an audio.Source paced by the device's clock; its
// Playback is an audio.Sink that feeds the speaker through a jitter buffer
// (Playout) with a fixed target latency, and can be flushed when the agent
// is interrupted. With both directions open, the capture is echo-cancelled
// (package aec) against exactly what the playback played in the same
// callback, so the agent does not hear itself.
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
// PortAudio calls the stream callback on a thread of its own. The callback
// only copies: it takes the speaker's samples from the Playout, mixes the
// microphone's samples down, and hands them (with the samples it just
// played, for the echo canceller) to the capture queue. Everything else
// happens on the caller's goroutines: resampling and echo cancellation in
// Capture.ReadFrame, resampling in Playback.Write. A device that stops
// calling back (unplugged, PulseAudio gone) is noticed by those calls'
// timeouts (LostTimeout), never by a hang. Open and Close bound their
// PortAudio calls with timeouts too; a call still stuck in PortAudio after
// its timeout is left to finish on its own goroutine.
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
// would miss PortAudio's prints from its callback thread.
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
	// StartTimeout is how long a stream may take to deliver its first
	// audio; PulseAudio can take most of a second to start a stream.
	StartTimeout = 5 * time.Second
	// LostTimeout is how long a running stream may go without calling
	// back before the device counts as lost. A working device calls back
	// every few milliseconds, but a sound server on a loaded machine can
	// stall a stream for a second or two (seen once: PulseAudio on two
	// busy cores ended a terminal call at 2 s), so only a longer silence
	// means the device is gone.
	LostTimeout = 4 * time.Second
	// StallTimeout is how long a stream may go without calling back
	// before webcall restarts it. A stream can also get stuck for good
	// while its device is fine (seen in tests: a PulseAudio stream that
	// never delivered its first block on a busy machine); restarting
	// it, once a StallTimeout, gives it a chance to recover before
	// StartTimeout or LostTimeout ends the call.
	StallTimeout = time.Second
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

// Hints for device errors. They name the command-line ways out because a
// device error always ends up in front of a person at a terminal.
const (
	hintList = "run `webcall devices` to see the devices, or use --input FILE to call without a microphone"
	hintLost = "check that the device is still connected (`webcall devices`), or use --input FILE to call without a microphone"
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
	// restarted (see StallTimeout), with how long it had been silent and
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
			WithHint(fmt.Sprintf("pick one with --%s-device INDEX or NAME (see `webcall devices`)", dir))
	}
	if idx, err := strconv.Atoi(spec); err == nil {
		for _, d := range devs {
			if d.Index != idx {
				continue
			}
			if d.Channels(dir) == 0 {
				return Info{}, failure.Newf(failure.Device, "audio device %s has no %ss; devices with %ss: %s", d, dir, dir, listNames(usable)).
					WithHint(hintList)
			}
			return d, nil
		}
		return Info{}, failure.Newf(failure.Device, "there is no audio device %d; devices with %ss: %s", idx, dir, listNames(usable)).
			WithHint(hintList)
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
			WithHint(hintList)
	default:
		return Info{}, failure.Newf(failure.Device, "%q matches %d audio %s devices: %s", spec, len(matches), dir, listNames(matches)).
			WithHint("give the device's index, or more of its name")
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
		WithHint("check `webcall devices`; use --input FILE (and --output FILE) to call without audio devices")
}

// lostError is the error for a device that stopped delivering or taking
// audio mid-stream.
func lostError(dir Direction, name string, silent time.Duration) error {
	return failure.Newf(failure.Device, "the audio %s device %q stopped responding (no audio for %s): it was unplugged or its sound server went away",
		dir, name, silent.Round(100*time.Millisecond)).WithHint(hintLost)
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
