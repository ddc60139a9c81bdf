package pulse

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// clientLatency is what the test's own players and recorders ask the
// daemon for. The tuned daemon's sinks run at low latency anyway. On a
// stock daemon, a client that asks for low latency makes the sink (and
// the monitor's sink) run at it, hiding the very behaviour the stock mode
// is there to show; there they ask for nothing, as users' programs do.
// So on PipeWire, where the lowest latency any node asks for sets the
// period of the whole graph, webcall's streams included.
func (s *Server) clientLatency() []string {
	if s.defaultLatency() {
		return nil
	}
	return []string{"--latency-msec=10"}
}

// pacatArgs are the arguments of a pacat that plays (or records) 48 kHz
// mono samples on device.
func (s *Server) pacatArgs(mode, device string) []string {
	return append([]string{mode, "--raw", "--device=" + device,
		"--format=s16le", fmt.Sprintf("--rate=%d", Rate), "--channels=1"}, s.clientLatency()...)
}

// stockPrebuffer is what Play pads a short clip to on a stock daemon: a
// little more than the 2 s a default-latency stream buffers before it
// plays.
const stockPrebuffer = Rate * 21 / 10

// Play plays 48 kHz mono samples into sink in real time, as a new stream,
// and returns when they have been played (or ctx ends). For what the
// microphone hears, PlayIntoMic is right for both configurations.
func (s *Server) Play(ctx context.Context, sink string, samples []int16) error {
	if s.kind == stock && len(samples) < stockPrebuffer {
		// A default-latency stream starts playing once it holds 2 s
		// (its prebuffer); a shorter clip played alone may never be
		// heard. (pipewire-pulse plays it.)
		samples = append(samples[:len(samples):len(samples)], make([]int16, stockPrebuffer-len(samples))...)
	}
	cmd := s.Command(ctx, "pacat", s.pacatArgs("--playback", sink)...)
	cmd.Stdin = bytes.NewReader(int16Bytes(samples))
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pacat into %s: %v: %s", sink, err, strings.TrimSpace(errOut.String()))
	}
	return nil
}

// PlayIntoMic plays 48 kHz mono samples into the microphone's feed: what
// the microphone hears. It returns when they have been played. On a stock
// daemon they are mixed into the feed's one stream, the noise floor,
// rather than played as a stream of their own.
func (s *Server) PlayIntoMic(ctx context.Context, samples []int16) error {
	if s.feed != nil {
		return s.feed.say(ctx, samples)
	}
	return s.Play(ctx, s.devices.MicFeed, samples)
}

// Loopback feeds what source hears into sink with about the given latency,
// until the test ends: the acoustic path from a speaker back into a
// microphone. Like a room's, the path's delay stays the same: the loopback
// does not adapt its rate (all virtual devices run on one clock anyway),
// which would make the delay wander by milliseconds and no echo canceller
// could follow it.
func (s *Server) Loopback(t testing.TB, source, sink string, latency time.Duration) {
	t.Helper()
	id, err := s.LoadModule("module-loopback", "source="+source, "sink="+sink,
		fmt.Sprintf("latency_msec=%d", latency.Milliseconds()), "adjust_time=0",
		"source_dont_move=true", "sink_dont_move=true")
	if err != nil {
		t.Fatalf("loop %s back into %s: %v", source, sink, err)
	}
	t.Cleanup(func() {
		select {
		case <-s.Exited():
		default:
			s.UnloadModule(id)
		}
	})
}

func int16Bytes(samples []int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, v := range samples {
		b[2*i] = byte(v)
		b[2*i+1] = byte(uint16(v) >> 8)
	}
	return b
}

func bytesInt16(b []byte) []int16 {
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return s
}
