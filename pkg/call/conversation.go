package call

import (
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// Conversation is what a transcript file of the call holds (see
// transcript.WriteFile). err is what Run returned along with r, as the
// caller classified it (a signal's kind, say): it decides the outcome and
// the reason written.
func (r Result) Conversation(err error) transcript.Conversation {
	c := transcript.Conversation{
		Room:          r.Room,
		CallID:        r.CallID,
		Identity:      r.Identity,
		AgentIdentity: r.AgentIdentity,
		AgentName:     r.AgentName,
		Start:         r.Start,
		Duration:      time.Duration(r.Stats.DurationMS) * time.Millisecond,
		AudioStart:    r.AudioStart,
		End:           transcript.Ending{Reason: r.Reason, Outcome: transcript.OutcomeCompleted},
		Segments:      r.Segments,

		SegmentsNotKept: r.SegmentsNotKept,
	}
	if err != nil {
		c.End = transcript.Ending{Reason: r.Reason, Outcome: transcript.OutcomeFailed, ErrorKind: failure.KindOf(err).String(), Error: err.Error()}
		if c.End.Reason == "" {
			c.End.Reason = err.Error()
		}
		if k := failure.KindOf(err); k == failure.Interrupted || k == failure.Terminated {
			c.End.Outcome = transcript.OutcomeInterrupted
		}
	}
	for _, g := range r.Gaps {
		c.Gaps = append(c.Gaps, transcript.Gap{Start: g.Start, End: g.End})
	}
	for _, m := range r.Chat {
		c.Chat = append(c.Chat, transcript.ChatLine{At: m.At, Speaker: m.Speaker, Identity: m.Identity, Text: m.Text})
	}
	return c
}
