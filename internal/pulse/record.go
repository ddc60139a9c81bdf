package pulse

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/proc"
)

// Recording is what a source heard, recorded with pacat into a file.
type Recording struct {
	p    *proc.Process
	path string
	// catchUp is how much more Stop waits to arrive before it ends the
	// recording, for what the daemon still holds, and catchUpLimit how
	// long it waits for it at most (see stockCatchUp).
	catchUp, catchUpLimit time.Duration

	stopOnce sync.Once
	samples  []int16
	err      error
}

// A stock daemon holds back what a recorder at the default latency
// records: a null sink renders what is played into it up to 2 s after it
// came, and the recorder's stream receives its source's audio 2 s at a
// time. Audio played before Stop has arrived once stockCatchUp more has
// (at the source's real-time pace); stockCatchUpLimit bounds the wait for
// a source that has stopped delivering (a suspended sink's monitor).
const (
	stockCatchUp      = 4 * time.Second
	stockCatchUpLimit = 7 * time.Second
)

// pipewire-pulse holds back less: a default-latency recorder gets its
// audio 64 KiB (0.7 s) at a time, and what was played had all arrived at
// most 2 s later (measured under -race). Its monitors deliver silence
// while nothing plays.
const (
	pipewireCatchUp      = 3 * time.Second
	pipewireCatchUpLimit = 6 * time.Second
)

// recorderTailBytes bounds what a recording's error quotes of pacat.
const recorderTailBytes = 1 << 10

// recorders numbers the recorders' streams, by which Record finds its own.
var recorders atomic.Int64

// Record starts recording source as 48 kHz mono until Stop (or the end of
// the test). It returns once the recorder's stream is connected and, on a
// daemon that holds audio back, its first samples have arrived, so that
// what is played next is recorded.
func (s *Server) Record(t testing.TB, source string) *Recording {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "recording-*.raw")
	if err != nil {
		t.Fatalf("record %s: %v", source, err)
	}
	stream := fmt.Sprintf("webcall-recorder-%d", recorders.Add(1))
	// pacat writes the samples straight into the file: no goroutine
	// copies them, and Samples reads what is there.
	p := proc.Start(t, proc.Spec{
		Name:   "pacat --record " + source,
		Path:   "pacat",
		Args:   append(s.pacatArgs("--record", source), "--stream-name="+stream),
		Env:    s.clientEnv(),
		Stdout: f,
		Grace:  stopGrace,
		Ready:  func(context.Context) error { return s.streamConnected("source-outputs", stream) },
	})
	f.Close()
	r := &Recording{p: p, path: f.Name()}
	switch s.kind {
	case stock:
		r.catchUp, r.catchUpLimit = stockCatchUp, stockCatchUpLimit
	case pipeWire:
		r.catchUp, r.catchUpLimit = pipewireCatchUp, pipewireCatchUpLimit
	}
	t.Cleanup(func() { r.Stop() })
	r.awaitStart()
	return r
}

// awaitStart waits, where the daemon holds audio back (see stockCatchUp),
// for the recording's first samples. A stock daemon's recorder may start
// its recording seconds after its stream connected, with what the source
// heard in between lost: 1 stock recording in 25 began 2 to 2.7 s late,
// and a tone played 0.7 s after Record was missing from it. Audio cannot
// arrive before it was heard, so once samples are there, what plays next
// is recorded.
func (r *Recording) awaitStart() {
	if r.catchUp == 0 {
		return
	}
	r.awaitSize(1)
}

// awaitSize waits until the recording holds want bytes, for at most
// catchUpLimit, or until the recorder has exited.
func (r *Recording) awaitSize(want int64) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(r.catchUpLimit)
	for r.size() < want {
		select {
		case <-r.p.Exited():
			return
		case <-deadline:
			return
		case <-tick.C:
		}
	}
}

// size is how many bytes the recording holds so far.
func (r *Recording) size() int64 {
	info, err := os.Stat(r.path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// streamConnected reports whether a stream of that name is connected.
// kind is what pactl lists: sink-inputs or source-outputs.
func (s *Server) streamConnected(kind, name string) error {
	out, err := s.Pactl("list", kind)
	if err != nil {
		return err
	}
	if !strings.Contains(out, fmt.Sprintf("media.name = %q", name)) {
		return fmt.Errorf("no stream %s among the %s yet", name, kind)
	}
	return nil
}

// RecordSpeaker records what is played on the speaker (its monitor).
func (s *Server) RecordSpeaker(t testing.TB) *Recording {
	t.Helper()
	return s.Record(t, s.devices.SpeakerMonitor)
}

// Samples returns what has been recorded so far.
func (r *Recording) Samples() []int16 {
	b, _ := os.ReadFile(r.path)
	return bytesInt16(b)
}

// Stop ends the recording and returns all of it: on a stock daemon, once
// the daemon has delivered what it held when Stop was called, which takes
// seconds. Calling it again returns the same samples.
func (r *Recording) Stop() ([]int16, error) {
	r.stopOnce.Do(func() {
		r.awaitDelivery()
		r.p.Stop()
		r.samples = r.Samples()
		if err := r.p.Err(); err != nil {
			r.err = fmt.Errorf("%w: %s", err, strings.TrimSpace(r.p.Tail(recorderTailBytes)))
		}
	})
	return r.samples, r.err
}

// awaitDelivery waits until what the source heard before now has
// arrived, when the daemon holds it back (see stockCatchUp).
func (r *Recording) awaitDelivery() {
	if r.catchUp == 0 {
		return
	}
	r.awaitSize(r.size() + int64(r.catchUp.Seconds()*Rate)*2)
}
