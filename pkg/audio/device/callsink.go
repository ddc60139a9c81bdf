package device

import (
	"sync"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// CallSpeaker is a call's speaker: it plays the agent on p and calls lost,
// once, when p fails with a device error, so that the call can end (the
// receive path that writes to it would only drop the error, and the call
// would go on with nobody hearing the agent). It passes the call's Flush
// and PlayoutStats on to p. Its Close does nothing: the caller closes the
// Device after the call.
type CallSpeaker struct {
	p    *Playback
	lost func(error)
	once sync.Once
}

var (
	_ audio.Sink            = (*CallSpeaker)(nil)
	_ audio.Flusher         = (*CallSpeaker)(nil)
	_ audio.PlayoutReporter = (*CallSpeaker)(nil)
)

// NewCallSpeaker returns p as a call's speaker that reports its loss to
// lost.
func NewCallSpeaker(p *Playback, lost func(error)) *CallSpeaker {
	return &CallSpeaker{p: p, lost: lost}
}

func (s *CallSpeaker) Write(samples []int16) error {
	err := s.p.Write(samples)
	if failure.KindOf(err) == failure.Device {
		s.once.Do(func() { s.lost(err) })
	}
	return err
}

// Flush drops the speaker's queue: the agent was interrupted.
func (s *CallSpeaker) Flush() { s.p.Flush() }

// PlayoutStats reports the speaker's underruns and overruns.
func (s *CallSpeaker) PlayoutStats() (underruns, overruns int64) { return s.p.PlayoutStats() }

// Close leaves the speaker open: the Device is closed after the call.
func (s *CallSpeaker) Close() error { return nil }
