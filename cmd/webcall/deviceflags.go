package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/audio/device"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// The words --input and --output take for the audio devices, instead of a
// file name.
const (
	inputMic      = "mic"
	outputSpeaker = "speaker"
)

// usesMic reports whether --input means the microphone: it says so, or
// names no file.
func usesMic(input string) bool { return input == "" || input == inputMic }

// usesSpeaker reports whether --output means the speaker.
func usesSpeaker(output string) bool { return output == "" || output == outputSpeaker }

// deviceOptions are `webcall call`'s flags for microphones and speakers.
type deviceOptions struct {
	inputDevice  string
	outputDevice string
	noAEC        bool
	halfDuplex   bool
	muted        bool
}

func addDeviceFlags(fs *pflag.FlagSet, d *deviceOptions) {
	fs.StringVar(&d.inputDevice, "input-device", "", "the microphone for --input mic: the `DEVICE`'s index or part of its name, as 'webcall devices' lists them; default: the system's")
	fs.StringVar(&d.outputDevice, "output-device", "", "the speaker for --output speaker: the `DEVICE`'s index or part of its name; default: the system's")
	fs.BoolVar(&d.noAEC, "no-aec", false, "do not cancel the speaker's echo from the microphone (with a headset there is none)")
	fs.BoolVar(&d.halfDuplex, "half-duplex", false, "mute the microphone while the agent is heard on the speaker, for speakers too loud for echo cancellation")
	fs.BoolVar(&d.muted, "muted", false, "start with the microphone muted: silence is sent until m is pressed on the terminal")
}

// check rejects device flags that do not apply to the chosen --input and
// --output, before anything is opened.
func (d *deviceOptions) check(input, output string) error {
	mic, speaker := usesMic(input), usesSpeaker(output)
	needs := []struct {
		set  bool
		flag string
		ok   bool
		want string
	}{
		{d.inputDevice != "", "--input-device", mic, "--input mic"},
		{d.muted, "--muted", mic, "--input mic"},
		{d.halfDuplex, "--half-duplex", mic && speaker, "--input mic and --output speaker"},
		{d.outputDevice != "", "--output-device", speaker, "--output speaker"},
	}
	for _, n := range needs {
		if n.set && !n.ok {
			return failure.Newf(failure.Usage, "%s needs %s", n.flag, n.want).
				WithHint("--input and --output name a WAV file or the devices (mic, speaker)")
		}
	}
	return nil
}

// callAudio is the audio side of one call: what it sends, and where the
// agent is heard.
type callAudio struct {
	// Input is the microphone behind Gate, or nil when --input is a file.
	Input audio.Source
	// Gate mutes the microphone (a key press, --muted); nil with a file.
	Gate *device.Gate
	// Output is the speaker or the --output file (never both: --output
	// names one); nil when a default speaker could not be opened.
	Output audio.Sink

	dev    *device.Device
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	lostErr error // the speaker failed mid-call
}

// openAudio opens the devices --input and --output ask for, with the device
// flags. file is the --output WAV writer (nil when --output is not a file).
// The returned context is ctx, cancelled if the speaker is lost mid-call;
// the call must run under it and pass its error through result. A device
// that went quiet and was restarted is reported to warn.
//
// A speaker that is only the default (no --output speaker) is best
// effort when the input is a file: a scripted call on a machine without
// audio devices (CI) runs without playing the agent, and says so.
func (d *deviceOptions) openAudio(ctx context.Context, input, output string, file audio.Sink, log *slog.Logger, status func(string), warn func(kind, msg string)) (*callAudio, context.Context, error) {
	mic, speaker := usesMic(input), usesSpeaker(output)
	a := &callAudio{Output: file}
	if !mic && !speaker {
		return a, ctx, nil
	}
	cfg := device.Config{
		Capture: mic, Input: d.inputDevice,
		Playback: speaker, Output: d.outputDevice,
		EchoCancel: !d.noAEC, HalfDuplex: d.halfDuplex,
		Log:       log,
		Restarted: func(silent time.Duration, err error) { warn(event.WarnDevice, restartedMessage(silent, err)) },
	}
	dev, err := device.Open(ctx, cfg)
	if err != nil && speaker && output == "" {
		// The speaker was not asked for by name: go on without it.
		var retry error
		if mic {
			cfg.Playback = false
			dev, retry = device.Open(ctx, cfg)
		}
		if retry == nil {
			status(fmt.Sprintf("not playing the agent's audio: %v", err))
			err = nil
		} else {
			err = retry
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if dev == nil {
		return a, ctx, nil
	}
	a.dev = dev
	status("audio: " + dev.Description())
	if c := dev.Capture(); c != nil {
		a.Gate = device.NewGate(c, d.muted)
		a.Input = a.Gate
		if d.muted {
			status("the microphone is muted")
		}
	}
	ctx, a.cancel = context.WithCancelCause(ctx)
	if p := dev.Playback(); p != nil {
		a.Output = device.NewCallSpeaker(p, a.speakerLost)
	}
	return a, ctx, nil
}

// speakerLost ends the call: the agent can no longer be heard.
func (a *callAudio) speakerLost(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lostErr == nil {
		a.lostErr = err
		a.cancel(err)
	}
}

// result turns the error of a call cut short by a lost speaker into the
// device error that explains it.
func (a *callAudio) result(err error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lostErr != nil && (err == nil || failure.KindOf(err) == failure.Interrupted) {
		return a.lostErr
	}
	return err
}

// Close closes the devices: the speaker first plays what it still holds.
func (a *callAudio) Close() error {
	if a.cancel != nil {
		a.cancel(nil)
	}
	if a.dev == nil {
		return nil
	}
	return a.dev.Close()
}

// restartedMessage is the warning for a stalled audio stream that was
// restarted: a kiosk's operator reading the log should see it happen.
func restartedMessage(silent time.Duration, err error) string {
	if err != nil {
		return fmt.Sprintf("audio: the sound device went quiet for %s and could not be restarted: %v", silent.Round(100*time.Millisecond), err)
	}
	return fmt.Sprintf("audio: the sound device went quiet for %s; restarted it", silent.Round(100*time.Millisecond))
}
