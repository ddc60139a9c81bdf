package pulse

import (
	"bytes"
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// tone returns d of a 440 Hz sine at about -12 dBFS, 48 kHz mono.
func tone(d time.Duration) []int16 {
	n := int(d.Seconds() * Rate)
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/Rate))
	}
	return s
}

func rms(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

func TestStartLoadsVirtualDevices(t *testing.T) {
	s := Start(t)
	sinks, err := s.Pactl("list", "short", "sinks")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{SpeakerSink, MicSink} {
		if !strings.Contains(sinks, name) {
			t.Errorf("sinks = %q, want %s among them", sinks, name)
		}
	}
	info, err := s.Pactl("info")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Default Sink: " + SpeakerSink, "Default Source: " + MicSource} {
		if !strings.Contains(info, want) {
			t.Errorf("pactl info = %q, want %q", info, want)
		}
	}
}

// What is played into the microphone's sink is heard on the microphone.
func TestPlayIntoMicIsRecorded(t *testing.T) {
	s := Start(t)
	rec := s.Record(t, MicSource)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Play(ctx, MicSink, tone(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	got, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if r := rms(got); r < 3000 {
		t.Errorf("recorded %d samples with RMS %.0f, want the tone (RMS about 5600)", len(got), r)
	}
}

// An ALSA client given Env plays into the virtual speaker through the ALSA
// pulse plugin: the path PortAudio takes.
func TestALSAReachesVirtualSpeaker(t *testing.T) {
	s := Start(t)
	rec := s.Record(t, SpeakerMonitor)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	samples := tone(500 * time.Millisecond)
	cmd := s.Command(ctx, "aplay", "-q", "-D", ALSASpeaker, "-t", "raw", "-f", "S16_LE", "-r", "48000", "-c", "1")
	cmd.Stdin = bytes.NewReader(int16Bytes(samples))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("aplay -D %s: %v: %s", ALSASpeaker, err, out)
	}
	got, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if r := rms(got); r < 3000 {
		t.Errorf("speaker monitor recorded %d samples with RMS %.0f, want the tone", len(got), r)
	}
}

func TestStopIsIdempotentAndCleansUp(t *testing.T) {
	s := Start(t)
	dir := s.dir
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	select {
	case <-s.Exited():
	default:
		t.Fatal("daemon still running after Stop")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory %s still there after Stop (err %v)", dir, err)
	}
	if _, err := s.Pactl("info"); err == nil {
		t.Error("pactl still reaches the daemon after Stop")
	}
}
