//go:build !noportaudio

package device

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// These tests go through the real PortAudio, ALSA and PulseAudio path: each
// starts a private PulseAudio daemon with a virtual microphone and speaker
// (internal/pulse) and points this process at it.

func startPulse(t *testing.T) *pulse.Server {
	t.Helper()
	s := pulse.Start(t)
	s.Setenv(t)
	return s
}

// logBuffer collects a Logger's output for tests that look at it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func openDevice(t *testing.T, cfg Config) *Device {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v (hint: %s)", err, failure.HintOf(err))
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Logf("opened %s", d.Description())
	return d
}

func loadSpeech(t testing.TB, name string) []int16 {
	t.Helper()
	c, err := audio.LoadFile(filepath.Join("..", "..", "..", "testdata", "audio", name))
	if err != nil {
		t.Fatal(err)
	}
	return c.Samples
}

// readFor reads frames from src for d of audio.
func readFor(t *testing.T, src audio.Source, d time.Duration) []int16 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d+10*time.Second)
	defer cancel()
	var got []int16
	f := audio.NewFrame()
	for range int(d / audio.FrameDuration) {
		if err := src.ReadFrame(ctx, f); err != nil {
			t.Fatalf("ReadFrame after %s: %v", time.Duration(len(got))*time.Second/audio.SampleRate, err)
		}
		got = append(got, f...)
	}
	return got
}

func TestListFindsVirtualDevices(t *testing.T) {
	startPulse(t)
	devs, err := List(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		t.Logf("%+v", d)
	}
	byName := map[string]Info{}
	for _, d := range devs {
		byName[d.Name] = d
	}
	for _, name := range []string{pulse.ALSAMic, pulse.ALSASpeaker, "default"} {
		d, ok := byName[name]
		if !ok {
			t.Errorf("no device %q among %v", name, devs)
			continue
		}
		if d.HostAPI != "ALSA" || d.InputChannels == 0 || d.OutputChannels == 0 || d.DefaultRate == 0 {
			t.Errorf("device %q = %+v, want an ALSA device with inputs, outputs and a rate", name, d)
		}
	}
	if d := byName["default"]; !d.DefaultInput || !d.DefaultOutput {
		t.Errorf("device default = %+v, want it marked as the default input and output", d)
	}
}

// The virtual microphone, fed a speech recording, yields that speech.
func TestCaptureHearsMicrophone(t *testing.T) {
	s := startPulse(t)
	speech := loadSpeech(t, "hello.wav")
	d := openDevice(t, Config{Capture: true, Input: pulse.ALSAMic})

	// Before: silence.
	if got := readFor(t, d.Capture(), 200*time.Millisecond); audio.SpeechRatio(got) > 0 {
		t.Fatalf("the microphone hears %.0f%% speech before anything was played into it", 100*audio.SpeechRatio(got))
	}
	playErr := make(chan error, 1)
	go func() { playErr <- s.Play(context.Background(), pulse.MicSink, speech) }()
	got := readFor(t, d.Capture(), time.Duration(len(speech))*time.Second/audio.SampleRate+500*time.Millisecond)
	if err := <-playErr; err != nil {
		t.Fatal(err)
	}
	want := audio.SpeechRatio(speech)
	ratio := audio.SpeechRatio(got)
	t.Logf("speech ratio: played %.2f, captured %.2f; level played %.1f dBFS, captured %.1f dBFS",
		want, ratio, audio.DBFS(audio.RMS(speech)), audio.DBFS(audio.RMS(got)))
	if ratio < want*0.8 {
		t.Errorf("captured speech ratio %.2f, want about the %.2f that was played", ratio, want)
	}
	if diff := audio.DBFS(audio.RMS(got)) - audio.DBFS(audio.RMS(speech)); math.Abs(diff) > 3 {
		t.Errorf("captured level differs from the played level by %.1f dB", diff)
	}
}

// What is written to the Playback comes out of the virtual speaker.
func TestPlaybackReachesSpeaker(t *testing.T) {
	s := startPulse(t)
	speech := loadSpeech(t, "reply.wav")
	rec := s.Record(t, pulse.SpeakerMonitor)
	d := openDevice(t, Config{Playback: true, Output: pulse.ALSASpeaker})
	p := d.Playback()

	// As the network delivers it: 20 ms chunks, in real time.
	tick := time.NewTicker(audio.FrameDuration)
	defer tick.Stop()
	for off := 0; off < len(speech); off += audio.FrameSamples {
		<-tick.C
		if err := p.Write(speech[off:min(off+audio.FrameSamples, len(speech))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	want := audio.SpeechRatio(speech)
	ratio := audio.SpeechRatio(got)
	stats := p.Stats()
	t.Logf("speech ratio: written %.2f, on the monitor %.2f (%s recorded); stats %+v", want, ratio,
		time.Duration(len(got))*time.Second/audio.SampleRate, stats)
	// The monitor was recording before and after: compare the
	// speech, not the length.
	frames := func(s []int16) float64 { return float64(len(s)) / float64(audio.FrameSamples) }
	if played, sent := ratio*frames(got), want*frames(speech); played < 0.8*sent {
		t.Errorf("the speaker played %.0f frames of speech, want about %.0f", played, sent)
	}
}

func TestOpenUnknownDevice(t *testing.T) {
	startPulse(t)
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"input name", Config{Capture: true, Input: "no-such-mic"}, []string{`no audio input device matches "no-such-mic"`, `"webcall_mic"`, `"default"`}},
		{"output name", Config{Playback: true, Output: "usb headset"}, []string{`no audio output device matches "usb headset"`, `"webcall_speaker"`}},
		{"index", Config{Capture: true, Input: "99"}, []string{"there is no audio device 99", `"webcall_mic"`}},
		{"ambiguous", Config{Capture: true, Input: "webcall"}, []string{`"webcall" matches 2 audio input devices`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			d, err := Open(context.Background(), tt.cfg)
			if err == nil {
				d.Close()
				t.Fatal("Open succeeded")
			}
			if failure.KindOf(err) != failure.Device || failure.HintOf(err) == "" {
				t.Errorf("error %v: kind %s, hint %q; want a device error with a hint", err, failure.KindOf(err), failure.HintOf(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s to fail", took)
			}
		})
	}
}

// With the sound server gone (and no sound card, as in CI) there are no
// devices: Open fails at once with a device error, not a hang.
func TestOpenWithoutDevices(t *testing.T) {
	s := startPulse(t)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if cards := soundCards(); cards != "" {
		t.Skipf("this machine has sound cards, so there are devices without PulseAudio: %s", cards)
	}
	var log logBuffer
	start := time.Now()
	d, err := Open(context.Background(), Config{Capture: true, Playback: true, Log: testLogger(&log)})
	if err == nil {
		d.Close()
		t.Fatal("Open succeeded without devices")
	}
	t.Logf("error: %v (hint: %s)", err, failure.HintOf(err))
	if failure.KindOf(err) != failure.Device || !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "no audio input devices found") ||
		!strings.Contains(failure.HintOf(err), "audio files") {
		t.Errorf("error %v (kind %s, hint %q): want a device error (ErrNoDevice) saying there are no devices, hinting at calling from files",
			err, failure.KindOf(err), failure.HintOf(err))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s to fail", took)
	}
	// What ALSA and JACK printed went to the debug log, not stderr.
	if !strings.Contains(log.String(), "audio library:") {
		t.Errorf("debug log has no library messages:\n%s", log.String())
	}
}

// A device that vanishes mid-stream (its sound server killed) makes
// ReadFrame and Write fail with a device error within LostTimeout, and
// Close return, instead of hanging.
func TestDeviceLostMidStream(t *testing.T) {
	s := startPulse(t)
	d := openDevice(t, Config{Capture: true, Playback: true, EchoCancel: true})
	readFor(t, d.Capture(), 200*time.Millisecond)

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	expectLost(t, d, "a device whose server was killed")
}

// expectLost checks what a device that stopped answering (what names how)
// does: ReadFrame and Write fail with ErrLost within about LostTimeout,
// and Close returns within CloseTimeout.
func expectLost(t *testing.T, d *Device, what string) {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), LostTimeout+5*time.Second)
	defer cancel()
	var err error
	f := audio.NewFrame()
	for err == nil {
		err = d.Capture().ReadFrame(ctx, f)
	}
	took := time.Since(start)
	t.Logf("ReadFrame: %v after %s", err, took)
	if !errors.Is(err, ErrLost) || failure.KindOf(err) != failure.Device || !strings.Contains(err.Error(), "stopped responding") {
		t.Errorf("ReadFrame error %v (kind %s), want a device error saying the device stopped (ErrLost)", err, failure.KindOf(err))
	}
	if took > LostTimeout+2*time.Second {
		t.Errorf("took %s to notice, want about %s", took, LostTimeout)
	}
	if err := d.Playback().Write(make([]int16, audio.FrameSamples)); !errors.Is(err, ErrLost) {
		t.Errorf("Write to %s = %v, want ErrLost", what, err)
	}
	closed := make(chan error, 1)
	go func() { closed <- d.Close() }()
	select {
	case err := <-closed:
		t.Logf("Close: %v", err)
	case <-time.After(CloseTimeout + 2*time.Second):
		t.Errorf("Close hangs on %s", what)
	}
}

// soundCards lists the machine's ALSA sound cards ("" for none).
func soundCards() string {
	b, err := os.ReadFile("/proc/asound/cards")
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if strings.Contains(s, "no soundcards") {
		return ""
	}
	return s
}

// writePaced writes samples to p in 20 ms chunks in real time, as the
// network delivers the agent's audio, and reports the first error.
func writePaced(p *Playback, samples []int16) <-chan error {
	done := make(chan error, 1)
	go func() {
		tick := time.NewTicker(audio.FrameDuration)
		defer tick.Stop()
		for off := 0; off < len(samples); off += audio.FrameSamples {
			<-tick.C
			if err := p.Write(samples[off:min(off+audio.FrameSamples, len(samples))]); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	return done
}

func duration(samples []int16) time.Duration {
	return time.Duration(len(samples)) * time.Second / audio.SampleRate
}

// echoRun plays the agent's speech on the virtual speaker, whose sound
// PulseAudio loops back into the virtual microphone as a room would, and
// then has the user speak alone. It returns the agent's echo as captured
// (once the canceller has had the first half to adapt) and what was
// captured while the user spoke.
func echoRun(t *testing.T, echoCancel bool) (echo, user []int16) {
	s := startPulse(t)
	s.Loopback(t, pulse.SpeakerMonitor, pulse.MicSink, 20*time.Millisecond)
	var log logBuffer
	d := openDevice(t, Config{Capture: true, Playback: true, EchoCancel: echoCancel, Log: testLogger(&log)})
	t.Cleanup(func() { t.Logf("what the device said of the echo:\n%s", grepLines(log.String(), "echo")) })
	reply := loadSpeech(t, "reply.wav")
	far := append(slices.Clone(reply), reply...)

	written := writePaced(d.Playback(), far)
	captured := readFor(t, d.Capture(), duration(far)+300*time.Millisecond)
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	echo = captured[len(reply):len(far)]

	user = userSays(t, s, d)
	t.Logf("xruns %d, restarts %d", d.xruns.Load(), d.restarts.Load())
	return echo, user
}

// Echo cancellation on the real path: the agent's voice, played on the
// speaker and heard again by the microphone, is taken out of what the
// microphone sends by many dB, while the user's voice comes through.
func TestEchoCancellationThroughPulseAudio(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test needs a PulseAudio daemon")
	}
	var echoOff, echoOn, userOff, userOn []int16
	t.Run("off", func(t *testing.T) { echoOff, userOff = echoRun(t, false) })
	t.Run("on", func(t *testing.T) { echoOn, userOn = echoRun(t, true) })
	off, on := audio.DBFS(audio.RMS(echoOff)), audio.DBFS(audio.RMS(echoOn))
	hello := loadSpeech(t, "hello.wav")
	t.Logf("echo level: %.1f dBFS without cancellation, %.1f dBFS with it (%.1f dB less)", off, on, off-on)
	t.Logf("echo frames loud enough to pass for speech: %.2f without, %.2f with",
		audio.SpeechRatio(echoOff), audio.SpeechRatio(echoOn))
	t.Logf("user: speech ratio %.2f without, %.2f with (%.2f played); level %.1f / %.1f dBFS (%.1f played)",
		audio.SpeechRatio(userOff), audio.SpeechRatio(userOn), audio.SpeechRatio(hello),
		audio.DBFS(audio.RMS(userOff)), audio.DBFS(audio.RMS(userOn)), audio.DBFS(audio.RMS(hello)))
	if off < audio.SpeechThresholdDBFS {
		t.Fatalf("without cancellation the echo is only %.1f dBFS: the loopback did not work", off)
	}
	// The canceller measures the loopback's echo delay (50-61 ms from run
	// to run) about a second into the first reply and lines the
	// reference up with it. Over 8 runs with -race on a machine with
	// both cores kept busy, the second reply came out 34 to 52 dB
	// quieter, with 0 to 2% of its frames loud enough to pass for
	// speech (before the delay was measured: 22 to 39 dB, up to 19%).
	if off-on < 25 {
		t.Errorf("echo cancellation took %.1f dB off the echo, want at least 25", off-on)
	}
	// What matters to the agent is whether the echo still sounds like
	// someone talking, frame by frame (voice activity detection works on
	// short frames), more than the echo's average level.
	if rOn, rOff := audio.SpeechRatio(echoOn), audio.SpeechRatio(echoOff); rOn > rOff/10 {
		t.Errorf("with cancellation %.0f%% of the echo's frames still pass for speech (%.0f%% without), want at most a tenth as many", rOn*100, rOff*100)
	}
	if r := audio.SpeechRatio(userOn); r < 0.8*audio.SpeechRatio(hello)*float64(len(hello))/float64(len(userOn)) {
		t.Errorf("with cancellation the user's speech ratio is %.2f, want about what was played", r)
	}
	if diff := audio.DBFS(audio.RMS(userOn)) - audio.DBFS(audio.RMS(userOff)); math.Abs(diff) > 3 {
		t.Errorf("cancellation changed the user's level by %.1f dB", diff)
	}
}

// Half-duplex: while the speaker plays the agent, the microphone sends
// silence (its echo never reaches the agent); once the speaker is quiet,
// the user is heard again.
func TestHalfDuplexMutesMicrophoneWhileSpeakerPlays(t *testing.T) {
	s := startPulse(t)
	s.Loopback(t, pulse.SpeakerMonitor, pulse.MicSink, 20*time.Millisecond)
	d := openDevice(t, Config{Capture: true, Playback: true, HalfDuplex: true})
	reply := loadSpeech(t, "question.wav")

	written := writePaced(d.Playback(), reply)
	captured := readFor(t, d.Capture(), duration(reply)+HalfDuplexHold)
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if level := audio.DBFS(audio.RMS(captured)); level > audio.SilenceDBFS {
		t.Errorf("while the speaker played, the microphone sent %.1f dBFS, want silence", level)
	}
	readFor(t, d.Capture(), 500*time.Millisecond) // the last echo dies down

	hello := loadSpeech(t, "hello.wav")
	user := userSays(t, s, d)
	if got, want := audio.SpeechRatio(user), audio.SpeechRatio(hello); got < 0.8*want*float64(len(hello))/float64(len(user)) {
		t.Errorf("with the speaker quiet, the user's speech ratio is %.2f, want about %.2f", got, want)
	}
}

// fakeDevice is a Device as Open leaves it for a stereo 44.1 kHz sound card,
// driven by calling render and deliver directly, period by period, as its
// stream's goroutine does: the conversion path that PulseAudio (which
// takes 48 kHz mono) never exercises.
func fakeDevice(t *testing.T, echoCancel bool) *Device {
	t.Helper()
	d := &Device{log: slog.New(slog.DiscardHandler), inRate: 44100, outRate: 44100, inCh: 2, outCh: 2,
		echoCancel: echoCancel, started: time.Now(), openParts: 2}
	if echoCancel {
		d.ref = newReference(d.outRate)
	}
	var err error
	if d.playback, err = newPlayback(d); err != nil {
		t.Fatal(err)
	}
	if d.capture, err = newCapture(d); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.capture.free() })
	return d
}

// sine returns n samples of a sine of freq Hz at rate, amplitude amp.
func sine(n, rate int, freq, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return s
}

// frequency estimates the frequency of a clean tone by its zero crossings.
func frequency(s []int16, rate int) float64 {
	crossings := 0
	for i := 1; i < len(s); i++ {
		if (s[i-1] < 0) != (s[i] < 0) {
			crossings++
		}
	}
	return float64(crossings) / 2 / (float64(len(s)) / float64(rate))
}

func TestPeriodsConvertRateAndChannels(t *testing.T) {
	d := fakeDevice(t, false)
	const blockFrames = 441 // 10 ms at 44.1 kHz
	// One second of a 1 kHz tone on the left channel and silence on the
	// right comes in; the agent's 48 kHz mono 500 Hz tone goes out.
	tone := sine(44100, 44100, 1000, 16000)
	agent := sine(audio.SampleRate, audio.SampleRate, 500, 16000)
	var played, captured []int16
	in := make([]int16, 2*blockFrames)
	out := make([]int16, 2*blockFrames)
	for block, off := 0, 0; off+blockFrames <= len(tone); block, off = block+1, off+blockFrames {
		// The network delivers a 20 ms frame every other block.
		if f := block / 2 * audio.FrameSamples; block%2 == 0 && f < len(agent) {
			if err := d.playback.Write(agent[f : f+audio.FrameSamples]); err != nil {
				t.Fatal(err)
			}
		}
		for i := range blockFrames {
			in[2*i], in[2*i+1] = tone[off+i], 0
		}
		d.render(out)
		d.deliver(in)
		played = append(played, out...)
		// Read as it comes, like the sender (the queue holds 100 ms):
		// a frame whenever three blocks are waiting.
		if len(d.capture.q) >= 3 {
			captured = append(captured, readFor(t, d.capture, audio.FrameDuration)...)
		}
	}
	if len(captured) < audio.SampleRate*9/10 {
		t.Fatalf("captured %d samples from 1 s of sound", len(captured))
	}

	// Capture: mixed down to mono (half the level), 48 kHz, same pitch.
	if f := frequency(captured[audio.FrameSamples:], audio.SampleRate); math.Abs(f-1000) > 10 {
		t.Errorf("captured tone at %.0f Hz, want 1000 Hz", f)
	}
	if level := audio.RMS(captured[audio.FrameSamples:]) * 32768; math.Abs(level-8000/math.Sqrt2) > 300 {
		t.Errorf("captured RMS %.0f, want about %.0f (the stereo average)", level, 8000/math.Sqrt2)
	}
	// Playback: the same sound on both channels, at 44.1 kHz, same pitch.
	left, right := make([]int16, len(played)/2), make([]int16, len(played)/2)
	for i := range left {
		left[i], right[i] = played[2*i], played[2*i+1]
	}
	if !slices.Equal(left, right) {
		t.Error("the speaker's channels differ, want the mono sound on both")
	}
	start := firstSound(left)
	if start < 0 {
		t.Fatal("nothing was played")
	}
	sound := left[start+4410 : start+4410+22050] // half a second, past the start
	if f := frequency(sound, 44100); math.Abs(f-500) > 5 {
		t.Errorf("played tone at %.0f Hz, want 500 Hz", f)
	}
}

// At a device rate other than 48 kHz, the microphone's and the speaker's
// blocks are still paired right for the canceller: the echo of what was
// played (here: the played block, 30 ms later, half as loud) is taken out.
func TestPeriodsCancelEchoAtDeviceRate(t *testing.T) {
	d := fakeDevice(t, true)
	const blockFrames = 441
	reply := loadSpeech(t, "reply.wav")
	var echo [][]int16 // played blocks, mono, oldest first
	in := make([]int16, 2*blockFrames)
	out := make([]int16, 2*blockFrames)
	var captured []int16
	blocks := len(reply) / audio.FrameSamples * 2
	for block := range blocks {
		if block%2 == 0 {
			f := block / 2 * audio.FrameSamples
			if err := d.playback.Write(reply[f : f+audio.FrameSamples]); err != nil {
				t.Fatal(err)
			}
		}
		clear(in)
		if len(echo) == 3 {
			for i, v := range echo[0] {
				in[2*i], in[2*i+1] = v/2, v/2
			}
			echo = echo[1:]
		}
		d.render(out)
		d.deliver(in)
		mono := make([]int16, blockFrames)
		for i := range mono {
			mono[i] = out[2*i]
		}
		echo = append(echo, mono)
		if len(d.capture.q) >= 3 {
			captured = append(captured, readFor(t, d.capture, audio.FrameDuration)...)
		}
	}
	// The second half: past the warm-up, the canceller has converged.
	half := captured[len(captured)/2:]
	echoLevel := audio.DBFS(audio.RMS(reply[len(reply)/2:]) / 2)
	got := audio.DBFS(audio.RMS(half))
	t.Logf("echo %.1f dBFS, after cancellation %.1f dBFS", echoLevel, got)
	if echoLevel-got < 20 {
		t.Errorf("echo taken down by %.1f dB, want at least 20", echoLevel-got)
	}
}

// userSays plays hello.wav into the virtual microphone and returns what
// d's capture read meanwhile, and a little after.
func userSays(t *testing.T, s *pulse.Server, d *Device) []int16 {
	t.Helper()
	hello := loadSpeech(t, "hello.wav")
	played := make(chan error, 1)
	go func() { played <- s.Play(context.Background(), pulse.MicSink, hello) }()
	user := readFor(t, d.Capture(), duration(hello)+300*time.Millisecond)
	if err := <-played; err != nil {
		t.Fatal(err)
	}
	return user
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A stream that stops calling back while its device is fine (seen on a
// busy machine: a PulseAudio stream that never delivered its first block)
// is restarted after StallTimeout, and the microphone carries on: the
// reader waits through the stall instead of failing, and hears the user
// afterwards.
func TestStalledStreamIsRestarted(t *testing.T) {
	s := startPulse(t)
	var log logBuffer
	told := make(chan error, 10)
	d := openDevice(t, Config{Capture: true, Playback: true, EchoCancel: true, Log: testLogger(&log),
		Restarted: func(silent time.Duration, err error) {
			if silent < StallTimeout {
				err = fmt.Errorf("restarted after %s of silence, before StallTimeout", silent)
			}
			told <- err
		}})
	readFor(t, d.Capture(), 200*time.Millisecond)

	d.stuck.Store(true)
	start := time.Now()
	readFor(t, d.Capture(), 100*time.Millisecond)
	if stall := time.Since(start); stall < StallTimeout || stall > StallTimeout+time.Second {
		t.Errorf("the stall lasted %s, want a little over StallTimeout (%s)", stall, StallTimeout)
	}
	if n := d.Restarts(); n != 1 {
		t.Errorf("%d restarts, want 1\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), "audio stream restarted") {
		t.Errorf("the log does not mention the restart:\n%s", log.String())
	}
	select {
	case err := <-told:
		if err != nil {
			t.Errorf("Restarted was told: %v", err)
		}
	default:
		t.Error("Restarted was not called")
	}

	hello := loadSpeech(t, "hello.wav")
	user := userSays(t, s, d)
	if got, want := audio.SpeechRatio(user), audio.SpeechRatio(hello); got < 0.8*want*float64(len(hello))/float64(len(user)) {
		t.Errorf("after the restart, the user's speech ratio is %.2f, want about %.2f", got, want)
	}
}
