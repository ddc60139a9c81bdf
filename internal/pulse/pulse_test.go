package pulse

import (
	"bytes"
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
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

// modes runs a test on a daemon of each configuration. The leak check
// runs last, once the daemon has stopped: nothing of it may remain.
func modes(t *testing.T, test func(t *testing.T, s *Server)) {
	for _, m := range []struct {
		name  string
		start func(testing.TB) *Server
	}{{"tuned", Start}, {"stock", StartStock}, {"pipewire", StartPipeWire}} {
		t.Run(m.name, func(t *testing.T) {
			t.Cleanup(leaktest.Check(t))
			test(t, m.start(t))
		})
	}
}

func TestStartLoadsVirtualDevices(t *testing.T) {
	modes(t, func(t *testing.T, s *Server) {
		d := s.Devices()
		sinks, err := s.Pactl("list", "short", "sinks")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{d.Speaker, d.MicFeed} {
			if !strings.Contains(sinks, name) {
				t.Errorf("sinks = %q, want %s among them", sinks, name)
			}
		}
		info, err := s.Pactl("info")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Default Sink: " + d.Speaker, "Default Source: " + d.Mic} {
			if !strings.Contains(info, want) {
				t.Errorf("pactl info = %q, want %q", info, want)
			}
		}
	})
}

// The stock daemon is the system's default configuration, its devices
// made as in the recipe: the modules of default.pa (without those
// that look for hardware), the daemon's default sample format, a remap
// source as the microphone, and a stream always playing into its feed.
func TestStockIsTheDefaultConfiguration(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	s := StartStock(t)
	modules, err := s.Pactl("list", "short", "modules")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"module-suspend-on-idle", "module-always-sink", "module-stream-restore",
		"module-null-sink\tsink_name=spk", "module-null-sink\tsink_name=micfeed",
		"module-remap-source\tmaster=micfeed.monitor source_name=mic"} {
		if !strings.Contains(modules, want) {
			t.Errorf("modules lack %q:\n%s", want, modules)
		}
	}
	for _, unwanted := range []string{"module-udev-detect", "module-loopback", "module-null-source"} {
		if strings.Contains(modules, unwanted) {
			t.Errorf("modules hold %q:\n%s", unwanted, modules)
		}
	}
	sinks, err := s.Pactl("list", "short", "sinks")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sinks, "spk\tmodule-null-sink.c\ts16le 2ch 44100Hz") {
		t.Errorf("the speaker is not a null sink of the default format:\n%s", sinks)
	}
	if err := s.sinkRunning("micfeed"); err != nil {
		t.Errorf("the microphone's feed is not playing: %v", err)
	}
}

// The stock microphone always delivers: its noise floor, well below
// speech, but not digital silence.
func TestStockMicHearsItsNoiseFloor(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	s := StartStock(t)
	rec := s.Record(t, s.Devices().Mic)
	got, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < Rate {
		t.Fatalf("recorded %d samples, want the microphone to deliver", len(got))
	}
	if r := rms(got); r == 0 || r > 30 {
		t.Errorf("the microphone's RMS is %.1f, want a noise floor (about 9)", r)
	}
}

// What is played into the microphone's feed is heard on the microphone.
func TestPlayIntoMicIsRecorded(t *testing.T) {
	modes(t, func(t *testing.T, s *Server) {
		rec := s.Record(t, s.Devices().Mic)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.PlayIntoMic(ctx, tone(500*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		got, err := rec.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if peak := loudest(got, Rate/2); peak < 3000 {
			t.Errorf("recorded %d samples, loudest 0.5 s with RMS %.0f, want the tone (RMS about 5600)", len(got), peak)
		}
	})
}

// loudest returns the highest RMS of n consecutive samples.
func loudest(s []int16, n int) float64 {
	var best float64
	for i := 0; i+n <= len(s); i += n / 10 {
		best = max(best, rms(s[i:i+n]))
	}
	return best
}

// An ALSA client given Env plays into the virtual speaker through the ALSA
// pulse plugin: the path PortAudio takes.
func TestALSAReachesVirtualSpeaker(t *testing.T) {
	modes(t, func(t *testing.T, s *Server) {
		rec := s.RecordSpeaker(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		samples := tone(500 * time.Millisecond)
		if s.Stock() {
			// A stream's first second or two on a stock null sink can
			// go unheard (see the package comment).
			samples = tone(3 * time.Second)
		}
		cmd := s.Command(ctx, "aplay", "-q", "-D", ALSASpeaker, "-t", "raw", "-f", "S16_LE", "-r", "48000", "-c", "1")
		cmd.Stdin = bytes.NewReader(int16Bytes(samples))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("aplay -D %s: %v: %s", ALSASpeaker, err, out)
		}
		got, err := rec.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if peak := loudest(got, Rate/2); peak < 3000 {
			t.Errorf("speaker monitor recorded %d samples, loudest 0.5 s with RMS %.0f, want the tone", len(got), peak)
		}
	})
}

func TestStopIsIdempotentAndCleansUp(t *testing.T) {
	modes(t, func(t *testing.T, s *Server) {
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
		if s.feed != nil {
			select {
			case <-s.feed.p.Exited():
			default:
				t.Error("the microphone feed still plays after Stop")
			}
		}
	})
}
