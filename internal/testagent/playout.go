package testagent

// A reply said on the agent's track: its audio in real time, its caption
// in step with it, and what the facts record of it.

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// startPlayout says sp, the answer to t (nil for the greeting), on the
// agent's track in its own goroutine; playDone tells the loop when it is
// over.
func (s *session) startPlayout(ctx context.Context, sp speech, t *turn) {
	s.setState(stateSpeaking)
	pctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	s.playing, s.playDone, s.stopPlay = true, done, cancel
	go func() {
		defer close(done)
		if s.opts.TextOnly {
			s.textPlayout(pctx, sp.text, t)
		} else {
			s.playout(pctx, sp.clip, sp.text, t)
		}
		if pctx.Err() == nil && t != nil && t.chat && s.opts.ChatReplies {
			if err := sendText(s.lk.LocalParticipant, topicChat, "", sp.text, nil); err != nil {
				s.log.Warn("chat reply not sent", "err", err)
			}
		}
	}()
}

// stopPlayout cuts a reply short for cause and waits for its goroutine.
func (s *session) stopPlayout(cause error) {
	if !s.playing {
		return
	}
	s.stopPlay(cause)
	<-s.playDone
	s.playing, s.playDone, s.stopPlay = false, nil, nil
}

// playout sends clip in real time, frame by frame, and its text as one
// stream that opens replyTextDelay after the audio starts and gets word i
// of n at i/n of the audio, then closes when the audio is over. The same
// growing text goes out as legacy packets, final at the end. An
// interrupted reply ends at once, its stream closed and its legacy final
// sent with the words said so far. It states when its audible audio
// started and stopped; answers is the turn it answers, nil for the
// greeting.
func (s *session) playout(ctx context.Context, clip *audio.Clip, text string, answers *turn) {
	src := audio.Paced(audio.NewClipReader(clip.Samples))
	defer src.Close()
	chunks := wordChunks(text)
	total := clip.Duration()
	segID, legacyID := newSegmentID(), newLegacyID()
	var (
		stream  *textStream
		spoken  strings.Builder
		next    int
		sendErr error
	)
	emit := func(i int) {
		spoken.WriteString(chunks[i])
		if sendErr != nil {
			// The room's connection failed (a server that died): each
			// packet would wait seconds for it in the SDK, and keep
			// the session from ending.
			return
		}
		if !s.opts.LegacyOnly {
			if stream == nil {
				var err error
				if stream, err = openTextStream(s.lk.LocalParticipant, topicTranscription, "", s.streamAttrs(segID, false, s.trackSID)); err != nil {
					sendErr = err
					return
				}
			}
			if err := stream.write(chunks[i]); err != nil {
				sendErr = err
			}
		}
		if err := sendLegacy(s.lk.LocalParticipant, legacySegment{
			participant: s.identity, trackSID: s.trackSID, id: legacyID,
			text: spoken.String(), end: total * time.Duration(i+1) / time.Duration(len(chunks)), final: false,
		}); err != nil {
			sendErr = err
		}
	}

	var firstAudible, lastAudible time.Time
	f := audio.NewFrame()
	for k := 0; ; k++ {
		if err := src.ReadFrame(ctx, f); err != nil {
			break
		}
		if err := s.track.WriteFrame(f); err != nil && sendErr == nil {
			sendErr = err
		}
		if audible(f) {
			lastAudible = time.Now()
			if firstAudible.IsZero() {
				firstAudible = lastAudible
				s.replyStarted(firstAudible, text, answers)
			}
		}
		elapsed := time.Duration(k) * audio.FrameDuration
		for elapsed >= replyTextDelay && next < len(chunks) && wordDue(next, len(chunks), total) <= elapsed {
			emit(next)
			next++
		}
	}
	stopped := func(interrupted bool) {
		if !firstAudible.IsZero() {
			s.record(Fact{Kind: FactReplyStopped, At: lastAudible, Text: spoken.String(), Interrupted: interrupted},
				"last_audible_at", lastAudible, "interrupted", interrupted, "said", spoken.String())
			s.reportReply(spoken.String(), firstAudible, lastAudible, answers, interrupted)
		}
	}
	if ctx.Err() != nil {
		// Cut short: the text stops at what was said.
		if stream != nil && !s.opts.NeverCloseReply && sendErr == nil {
			stream.close()
		}
		if !errors.Is(context.Cause(ctx), errInterrupted) {
			return // the session is over: nobody is left to tell
		}
		if next > 0 {
			sendLegacy(s.lk.LocalParticipant, legacySegment{
				participant: s.identity, trackSID: s.trackSID, id: legacyID,
				text: spoken.String(), end: total * time.Duration(next) / time.Duration(len(chunks)), final: true,
			})
		}
		stopped(true)
		return
	}
	// Let the last frame play out before saying the reply is over.
	select {
	case <-ctx.Done():
	case <-time.After(audio.FrameDuration):
	}
	for ; next < len(chunks); next++ {
		emit(next)
	}
	if stream != nil && !s.opts.NeverCloseReply && sendErr == nil {
		if err := stream.close(); err != nil {
			sendErr = err
		}
	}
	if len(chunks) > 0 && sendErr == nil {
		if err := sendLegacy(s.lk.LocalParticipant, legacySegment{
			participant: s.identity, trackSID: s.trackSID, id: legacyID,
			text: spoken.String(), end: total, final: true,
		}); err != nil {
			sendErr = err
		}
	}
	if sendErr != nil {
		s.log.Warn("reply not fully sent", "err", sendErr)
	}
	stopped(false)
	s.log.Info("reply said", "duration", total, "text", text)
}

// replyStarted states the first audible frame of a reply to t.
func (s *session) replyStarted(at time.Time, text string, t *turn) {
	f := Fact{Kind: FactReplyStarted, At: at, Text: text}
	attrs := []any{"first_audible_at", at, "text", text}
	if t != nil {
		f.Latency = at.Sub(t.endedAt)
		if !t.chat {
			f.LastVoicedAt = t.endedAt
			attrs = append(attrs, "last_voiced_at", t.endedAt)
		} else {
			attrs = append(attrs, "chat_received_at", t.endedAt)
		}
		attrs = append(attrs, "latency", f.Latency, "reply_delay", s.opts.ReplyDelay)
	}
	s.record(f, attrs...)
}
