//go:build !noportaudio

package device

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/pkg/audio"
)

// Sound servers other than the tuned PulseAudio daemon that the other
// tests run on.

// On a PulseAudio daemon with its default configuration and the devices a
// container is given (null sinks, a remapped monitor as the microphone),
// and on PipeWire's PulseAudio server (pipewire-pulse, as a desktop runs
// it, with the same devices), the device hears the microphone and plays to
// the speaker, with echo cancellation on, and never takes a stream for
// stalled. The stock daemon holds a new stream's audio back for up to 2 s:
// the device must sit that out rather than restart the stream (which
// starts the wait over).
func TestServersMicrophoneAndSpeaker(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: these tests need sound servers")
	}
	for _, tt := range []struct {
		name  string
		start func(testing.TB) *pulse.Server
		// settle is how much of the call's start (joining, waiting for
		// the agent) passes before anyone speaks: on the stock daemon,
		// past the sinks' hold. Audio written to the speaker during the
		// hold would pile up past the jitter buffer's bound and be
		// dropped, as it should.
		settle time.Duration
		// level: the microphone must hear the words within 1.5 dB,
		// closer than TestCaptureHearsMicrophone's 3 dB: on PipeWire
		// the mono stream of a stereo source comes out 3 dB louder
		// (2.6 dB here), which the mono devices of internal/pulse avoid
		// (0.4 dB off).
		level bool
	}{
		{name: "stock PulseAudio", start: pulse.StartStock, settle: 2500 * time.Millisecond},
		{name: "PipeWire", start: pulse.StartPipeWire, settle: 500 * time.Millisecond, level: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.start(t)
			s.Setenv(t)
			var log logBuffer
			d := openDevice(t, Config{Capture: true, Playback: true, EchoCancel: true, Log: testLogger(&log)})
			speaker := s.RecordSpeaker(t)
			readFor(t, d.Capture(), tt.settle)

			reply := loadSpeech(t, "reply.wav")
			hello := loadSpeech(t, "hello.wav")
			written := writePaced(d.Playback(), reply)
			said := make(chan error, 1)
			go func() { said <- s.PlayIntoMic(context.Background(), hello) }()
			// PlayIntoMic returns about when the words have been heard
			// (the feed's lag is under 3 s); read until then and a
			// little more.
			captured := readFor(t, d.Capture(), duration(hello)+4*time.Second)
			if err := <-said; err != nil {
				t.Fatal(err)
			}
			if err := <-written; err != nil {
				t.Fatalf("Write: %v", err)
			}
			played, err := speaker.Stop()
			if err != nil {
				t.Fatal(err)
			}

			heard := loudestStretch(captured, len(hello))
			t.Logf("microphone: speech ratio %.2f played, %.2f heard; level %.1f dBFS played, %.1f dBFS heard (voiced frames: %.1f, %.1f)",
				audio.SpeechRatio(hello), audio.SpeechRatio(heard), audio.DBFS(audio.RMS(hello)), audio.DBFS(audio.RMS(heard)), voicedLevel(hello), voicedLevel(heard))
			t.Logf("speaker: %.0f samples of speech written, %.0f on the monitor; %s recorded",
				speechSamples(reply), speechSamples(played), duration(played))
			if n := d.Restarts(); n != 0 {
				t.Errorf("%d restarts of streams that were fine:\n%s", n, grepLines(log.String(), "restarted"))
			}
			if got, want := audio.SpeechRatio(heard), audio.SpeechRatio(hello); got < 0.8*want {
				t.Errorf("the microphone heard a speech ratio of %.2f, want about the %.2f played into it", got, want)
			}
			// The level of the voiced frames alone: a dropout (PipeWire
			// loses a few hundred ms now and then, which the speech ratio
			// above bounds) would lower the whole stretch's, and the
			// check is for a gain error, such as the 3 dB of a stereo
			// source's mono stream.
			if diff := voicedLevel(heard) - voicedLevel(hello); tt.level && math.Abs(diff) > 1.5 {
				t.Errorf("the microphone heard the words %.1f dB off the level they were played at", diff)
			}
			if got, want := speechSamples(played), speechSamples(reply); got < 0.8*want {
				t.Errorf("the speaker's monitor holds %.0f samples of speech, want about the reply's %.0f", got, want)
			}
		})
	}
}

// loudestStretch returns the n consecutive samples of s (n at most
// len(s)) with the most energy, in steps of a frame: where the words
// are in a longer recording.
func loudestStretch(s []int16, n int) []int16 {
	if n >= len(s) {
		return s
	}
	var best []int16
	bestRMS := -1.0
	for i := 0; i+n <= len(s); i += audio.FrameSamples {
		if r := audio.RMS(s[i : i+n]); r > bestRMS {
			best, bestRMS = s[i:i+n], r
		}
	}
	return best
}

// speechSamples is how many of the samples are in frames of speech.
func speechSamples(s []int16) float64 { return audio.SpeechRatio(s) * float64(len(s)) }

// voicedLevel is the level, in dBFS, of the 20 ms frames of samples that
// are speech (above audio.SpeechThresholdDBFS).
func voicedLevel(samples []int16) float64 {
	var sum float64
	n := 0
	for i := 0; i+audio.FrameSamples <= len(samples); i += audio.FrameSamples {
		f := samples[i : i+audio.FrameSamples]
		if rms := audio.RMS(f); audio.DBFS(rms) > audio.SpeechThresholdDBFS {
			sum += rms * rms * float64(len(f))
			n += len(f)
		}
	}
	if n == 0 {
		return math.Inf(-1)
	}
	return audio.DBFS(math.Sqrt(sum / float64(n)))
}
