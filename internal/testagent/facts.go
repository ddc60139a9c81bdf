package testagent

import (
	"time"
)

// Kinds of Fact. Each is also the message of the log record that states
// it, so a test reading the log and one using Options.OnFact see the same
// names.
const (
	// FactSpeechStarted: an utterance began. At is the arrival of its
	// first voiced frame; Text is what the script says it is.
	FactSpeechStarted = "user speech started"
	// FactSpeechEnded: the agent decided an utterance was over. At is
	// when it decided (log attr detected_at), LastVoicedAt the arrival of
	// the utterance's last voiced frame (last_voiced_at); Text as above.
	FactSpeechEnded = "user speech ended"
	// FactChat: a chat message arrived on lk.chat. At is its arrival,
	// Text the message.
	FactChat = "chat received"
	// FactReplyStarted: the first audible frame of a reply (or of the
	// greeting) went onto the agent's track; a reply may begin with
	// silence, which does not count. At is that moment
	// (first_audible_at). For a reply to an utterance, LastVoicedAt is
	// the utterance's and Latency is At - LastVoicedAt, the agent's own
	// end-of-speech-to-reply figure; for a reply to a chat message,
	// LastVoicedAt is zero and Latency runs from the message's arrival;
	// for the greeting both are zero. Text is the reply's transcript.
	FactReplyStarted = "reply audio started"
	// FactReplyStopped: a reply that had started is over. At is when its
	// last audible frame went out (last_audible_at); Interrupted says the
	// user cut it short; Text is the words its caption carried. A reply
	// cut short by the end of the session states nothing.
	FactReplyStopped = "reply audio stopped"
	// FactInterrupted: the user's speech or a chat message stopped a
	// reply. At is when the agent decided to stop; Text is the heard
	// (scripted) text of the utterance, or the chat message, that did.
	FactInterrupted = "reply interrupted"
	// FactUserTrack: the agent subscribed to the user's microphone track
	// and hears it. At is when; Text is the track's sid.
	FactUserTrack = "user track heard"
	// FactReplyText: a text-only reply (Options.TextOnly) began. At is
	// when its first word went out; Latency runs from the end of the
	// turn it answers; Text is the whole reply.
	FactReplyText = "reply text started"
)

// Fact is one thing that happened in a call, as the agent knows it: the
// ground truth that tests compare with what a client measured. Times are
// the agent's wall clock. Which fields are set depends on Kind (see the
// Fact* constants).
type Fact struct {
	Kind         string
	Room         string
	At           time.Time
	LastVoicedAt time.Time
	Latency      time.Duration
	Text         string
	Interrupted  bool
}

// record logs f with attrs and hands it to Options.OnFact.
func (s *session) record(f Fact, attrs ...any) {
	f.Room = s.job.GetRoom().GetName()
	s.log.Info(f.Kind, attrs...)
	if s.opts.OnFact != nil {
		s.opts.OnFact(f)
	}
}
