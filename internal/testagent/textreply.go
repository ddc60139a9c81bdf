package testagent

// A reply of a session whose audio output is off (Options.TextOnly), as
// LiveKit Agents send it: text only, on lk.transcription.

import (
	"context"
	"strings"
	"time"
)

// textPlayout sends text as one lk.transcription stream, word by word at
// the pace of a language model, and closes it with a trailer that sets
// lk.transcription_final: the agent has no track, so the stream names
// none. A reply cut short (interrupted, or the session's end) closes at
// the words sent, final too, as the Python agent's flush does. answers
// is the turn it answers (nil for the greeting).
func (s *session) textPlayout(ctx context.Context, text string, answers *turn) {
	chunks := wordChunks(text)
	if len(chunks) == 0 {
		return
	}
	attrs := map[string]string{attrFinal: "false"}
	if !s.opts.OmitSegmentID {
		attrs[attrSegmentID] = newSegmentID()
	}
	stream, err := openTextStream(s.lk.LocalParticipant, topicTranscription, "", attrs)
	if err != nil {
		s.log.Warn("reply text not sent", "err", err)
		return
	}
	var sent strings.Builder
	tick := time.NewTicker(textChunkEvery)
	defer tick.Stop()
	for i, c := range chunks {
		if i > 0 {
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		if err := stream.write(c); err != nil {
			s.log.Warn("reply text not fully sent", "err", err)
			break
		}
		sent.WriteString(c)
		if i == 0 {
			s.replyTextStarted(time.Now(), text, answers)
		}
	}
	if !s.opts.NeverCloseReply {
		if err := stream.closeWith(map[string]string{attrFinal: "true"}); err != nil {
			s.log.Warn("reply text not closed", "err", err)
		}
	}
	s.log.Info("reply written", "text", sent.String(), "cut_short", ctx.Err() != nil)
}

// replyTextStarted states the first word of a text-only reply to t.
func (s *session) replyTextStarted(at time.Time, text string, t *turn) {
	f := Fact{Kind: FactReplyText, At: at, Text: text}
	attrs := []any{"first_word_at", at, "text", text}
	if t != nil {
		f.Latency = at.Sub(t.endedAt)
		attrs = append(attrs, "latency", f.Latency)
	}
	s.record(f, attrs...)
}
