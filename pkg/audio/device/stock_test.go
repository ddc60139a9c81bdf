//go:build !noportaudio

package device

import (
	"context"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/pkg/audio"
)

// On a PulseAudio daemon with its default configuration and the devices a
// container is given (null sinks, a remapped monitor as the microphone), a
// new stream's audio is held back for up to 2 s. The device must sit that
// out rather than restart the stream (which starts the wait over), then
// hear the microphone and play to the speaker.
func TestStockDaemonMicrophoneAndSpeaker(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test needs a PulseAudio daemon")
	}
	s := pulse.StartStock(t)
	s.Setenv(t)
	var log logBuffer
	d := openDevice(t, Config{Capture: true, Playback: true, EchoCancel: true, Log: testLogger(&log)})
	speaker := s.RecordSpeaker(t)

	// A call spends its first seconds joining and waiting for the agent:
	// by the time anyone speaks, the streams are past the sinks' hold.
	// Audio written to the speaker during the hold would pile up past the
	// jitter buffer's bound and be dropped, as it should.
	readFor(t, d.Capture(), 2500*time.Millisecond)

	reply := loadSpeech(t, "reply.wav")
	hello := loadSpeech(t, "hello.wav")
	written := writePaced(d.Playback(), reply)
	said := make(chan error, 1)
	go func() { said <- s.PlayIntoMic(context.Background(), hello) }()
	// The feed into the microphone returns about when it has been heard;
	// read until then and a little more.
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

	if n := d.Restarts(); n != 0 {
		t.Errorf("%d restarts of a stream that was only slow to start:\n%s", n, grepLines(log.String(), "restarted"))
	}
	wantSpeech := audio.SpeechRatio(hello) * float64(len(hello))
	if got := audio.SpeechRatio(captured) * float64(len(captured)); got < 0.8*wantSpeech {
		t.Errorf("the microphone heard %.0f samples of speech, want about the %.0f played into it", got, wantSpeech)
	}
	replySpeech := audio.SpeechRatio(reply) * float64(len(reply))
	if got := audio.SpeechRatio(played) * float64(len(played)); got < 0.8*replySpeech {
		t.Errorf("the speaker's monitor holds %.0f samples of speech, want about the reply's %.0f", got, replySpeech)
	}
}

// A sound server that hangs (stopped, not gone: it answers nothing and
// closes nothing) makes ReadFrame and Write fail with a lost-device error
// within LostTimeout, and Close return within CloseTimeout, whatever
// PortAudio's calls do meanwhile: the stream's goroutine never waits in a
// blocking read or write.
func TestFrozenSoundServer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test needs a PulseAudio daemon")
	}
	s := startPulse(t)
	d, err := Open(context.Background(), Config{Capture: true, Playback: true, EchoCancel: true})
	if err != nil {
		t.Fatal(err)
	}
	readFor(t, d.Capture(), 200*time.Millisecond)
	if err := s.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer s.Thaw()

	expectLost(t, d, "a frozen sound server")
}
