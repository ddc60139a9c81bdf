package pulse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/internal/proc"
)

// A stock daemon's microphone hears one continuous stream, as a real one
// does: a near-silent noise floor (what a microphone hears in a quiet
// room, and what people keep playing into a container's microphone feed
// so that its monitor delivers at all), with what the test says mixed in.
// Near silence rather than zeros, as a real microphone's is. Mixing the
// test's words into that stream, rather than playing them as a stream of
// their own, means no stream joins the feed mid-call (which a microphone
// never does); and a default-latency stream that joins a busy null sink
// can lose a short clip whole.
const (
	// feedBlock is the feed's unit, in samples at Rate: the granularity
	// at which the test's words start.
	feedBlock = Rate / 100
	// noiseAmplitude bounds the noise's samples: uniform noise of ±16
	// is about -71 dBFS, far below anything counted as speech (-45).
	noiseAmplitude = 16
	// feedLag is about how long after the writer a sample is heard: the
	// pipe to pacat (64 KiB, 0.7 s) and the 2 s pacat's stream keeps
	// buffered at the default latency (on PipeWire too: 2.6 s measured).
	feedLag = 2700 * time.Millisecond
)

// micFeed is pacat playing the microphone's stream into its feed sink,
// written through a pipe by a goroutine of ours.
type micFeed struct {
	p       *proc.Process
	w       *os.File      // the pipe's end the goroutine writes
	clips   chan *clip    // what to say, handed to the writer
	written chan struct{} // closed when the writer has ended
}

// clip is samples to mix into the feed; done is closed when the last of
// them has been written.
type clip struct {
	samples []int16
	done    chan struct{}
}

// startMicFeed starts the feed and returns once the feed sink is running
// on it.
func startMicFeed(ctx context.Context, s *Server) (*micFeed, error) {
	pacat, err := exec.LookPath("pacat")
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("microphone feed: %w", err)
	}
	f := &micFeed{w: w, clips: make(chan *clip), written: make(chan struct{})}
	// The writer first: pacat's stream is running once data flows.
	go f.write()
	// The pacat a user would run: the default latency.
	f.p, err = proc.StartProcess(ctx, proc.Spec{
		Name: "pacat (microphone feed)",
		Path: pacat,
		Args: []string{"--playback", "--raw", "--device=" + s.devices.MicFeed,
			"--format=s16le", fmt.Sprintf("--rate=%d", Rate), "--channels=1"},
		Env:   s.clientEnv(),
		Stdin: r,
		Grace: stopGrace,
		Ready: func(context.Context) error { return s.sinkRunning(s.devices.MicFeed) },
	})
	// pacat has its own copy of the pipe's reading end; with ours
	// closed, its exit breaks the pipe and ends the writer.
	r.Close()
	if err != nil {
		w.Close()
		<-f.written
		return nil, fmt.Errorf("start the microphone feed: %w", err)
	}
	return f, nil
}

// write writes the noise floor, with the clips mixed in one after the
// other, until the pipe breaks or is closed.
func (f *micFeed) write() {
	defer close(f.written)
	var (
		cur   *clip
		pos   int
		rng   = uint32(1)
		block = make([]int16, feedBlock)
	)
	defer func() {
		if cur != nil {
			close(cur.done)
		}
	}()
	for {
		if cur == nil {
			select {
			case cur = <-f.clips:
				pos = 0
			default:
			}
		}
		for i := range block {
			rng = rng*1664525 + 1013904223 // Numerical Recipes' LCG: plenty for a noise floor
			v := int32(rng>>16)%(2*noiseAmplitude+1) - noiseAmplitude
			if cur != nil && pos < len(cur.samples) {
				v = min(max(v+int32(cur.samples[pos]), -32768), 32767)
				pos++
			}
			block[i] = int16(v)
		}
		if cur != nil && pos == len(cur.samples) {
			close(cur.done)
			cur = nil
		}
		if _, err := f.w.Write(int16Bytes(block)); err != nil {
			return
		}
	}
}

// say mixes samples into the feed and returns when they have been heard
// (about: see feedLag), or ctx ends; then the rest still plays.
func (f *micFeed) say(ctx context.Context, samples []int16) error {
	c := &clip{samples: samples, done: make(chan struct{})}
	select {
	case f.clips <- c:
	case <-f.written:
		return errors.New("the microphone feed has stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-time.After(feedLag):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends pacat and the writer.
func (f *micFeed) stop() error {
	err := f.p.Stop()
	f.w.Close()
	<-f.written
	return err
}

// close stops the feed and removes pacat's log.
func (f *micFeed) close() error { return errors.Join(f.stop(), f.p.Close()) }

// sinkRunning reports whether the sink is running: a client plays into it.
func (s *Server) sinkRunning(sink string) error {
	out, err := s.Pactl("list", "short", "sinks")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[1] == sink {
			if fields[len(fields)-1] == "RUNNING" {
				return nil
			}
			return fmt.Errorf("sink %s is %s", sink, fields[len(fields)-1])
		}
	}
	return fmt.Errorf("no sink %s", sink)
}
