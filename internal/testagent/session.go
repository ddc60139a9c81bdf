package testagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	media "github.com/livekit/media-sdk"
	"github.com/livekit/protocol/livekit"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	lkmedia "github.com/livekit/server-sdk-go/v2/pkg/media"
	"github.com/pion/webrtc/v4"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/room"
)

const (
	// trackName is the name of the agent's audio track.
	trackName = "agent-audio"
	// frameQueue is how many heard frames may wait for the session loop
	// (1 s); beyond it frames are dropped rather than stall the decoder.
	frameQueue = 50
	// eventQueue is how many room events may wait for the session loop.
	eventQueue = 16
)

// reportFunc tells the server how a job is doing.
type reportFunc func(status livekit.JobStatus, errMsg string)

// session is the agent in one room: one job.
type session struct {
	opts   *prepared
	job    *livekit.Job
	log    *slog.Logger
	report reportFunc
	// onHearing, if set, is called (on the session's loop) when the
	// session subscribes to the user's microphone.
	onHearing func()

	// Set by join, then only read.
	lk       *lksdk.Room
	track    *room.OpusTrack
	trackSID string
	identity string

	// From SDK callbacks to run. ended is closed when run stops reading.
	events chan sessionEvent
	frames chan heardFrame
	ended  chan struct{}

	mu       sync.Mutex // guards what callbacks touch below
	linked   string     // the user being heard: the first with a microphone
	decoders []*lkmedia.PCMRemoteTrack
	left     bool // the room has been left; callbacks do nothing
	dropped  atomic.Int64

	// Owned by run.
	user       string // identity of the user heard
	userTrack  string // sid of the user's microphone track
	state      string
	seg        *segmenter
	utterances int
	cycle      int        // replies said from the fallback cycle
	utt        *utterance // the utterance being heard, nil between
	runStart   time.Time  // arrival of the first frame of the current voiced run
	lastVoiced time.Time  // arrival of the last voiced frame
	owed       []turn     // finished turns not yet answered, oldest first
	think      *time.Timer
	thinkC     <-chan time.Time // nil unless thinking
	greeted    bool
	playing    bool
	playDone   chan struct{}
	stopPlay   context.CancelCauseFunc
	// interruptFrames is how many voiced frames of an utterance stop a
	// reply; 0: nothing interrupts.
	interruptFrames int
}

// errInterrupted is the cause a reply's playout is cancelled with when the
// user interrupts it, to tell that from the end of the session.
var errInterrupted = errors.New("interrupted by the user")

// heardFrame is a frame of the user's audio and when it reached the agent.
type heardFrame struct {
	f  audio.Frame
	at time.Time
}

// turn is what the user said or typed, awaiting its answer.
type turn struct {
	heard string
	// endedAt is when the user's turn ended: the arrival of the last
	// voiced frame of an utterance, or of a chat message.
	endedAt time.Time
	chat    bool
}

type eventKind int

const (
	evUserTrack eventKind = iota
	evUserLeft
	evRoomClosed
	evChat
)

type sessionEvent struct {
	kind     eventKind
	identity string
	trackSID string
	text     string    // evChat: the message
	at       time.Time // evChat: its arrival
}

// utterance is one stretch of user speech and its captions.
type utterance struct {
	text     string // what the script says was said
	segID    string
	legacyID string
	identity string
	trackSID string
	voiced   int  // voiced frames heard so far
	barged   bool // it has interrupted a reply
}

func newSession(opts *prepared, job *livekit.Job, log *slog.Logger, report reportFunc) *session {
	return &session{
		opts:   opts,
		job:    job,
		log:    log.With("job", job.GetId(), "room", job.GetRoom().GetName()),
		report: report,
		events: make(chan sessionEvent, eventQueue),
		frames: make(chan heardFrame, frameQueue),
		ended:  make(chan struct{}),
		state:  stateListening,
		seg:    newSegmenter(speechStartAfter, opts.SilenceTimeout, interimEvery),

		interruptFrames: interruptFrames(opts.InterruptAfter),
	}
}

// interruptFrames is InterruptAfter in frames, rounded up; 0 when
// interruption is off.
func interruptFrames(d time.Duration) int {
	if d < 0 {
		return 0
	}
	return max(1, int((d+audio.FrameDuration-1)/audio.FrameDuration))
}

// run is the whole job: join, serve the room until the job ends, leave,
// report.
func (s *session) run(ctx context.Context, url, token string) {
	defer close(s.ended)
	if err := s.join(ctx, url, token); err != nil {
		s.log.Error("job failed", "err", err)
		s.report(livekit.JobStatus_JS_FAILED, err.Error())
		return
	}
	s.log.Info("joined the room", "identity", s.identity, "track", s.trackSID)
	s.report(livekit.JobStatus_JS_RUNNING, "")

	why := s.loop(ctx)

	s.stopPlayout(context.Canceled)
	if s.think != nil {
		s.think.Stop()
	}
	s.leave()
	if n := s.dropped.Load(); n > 0 {
		s.log.Warn("heard frames dropped: the session loop fell behind", "frames", n)
	}
	s.log.Info("left the room", "why", why)
	s.report(livekit.JobStatus_JS_SUCCESS, "")
}

func (s *session) join(ctx context.Context, url, token string) error {
	cb := lksdk.NewRoomCallback()
	cb.OnTrackSubscribed = s.onTrackSubscribed
	cb.OnParticipantDisconnected = func(rp *lksdk.RemoteParticipant) {
		s.post(sessionEvent{kind: evUserLeft, identity: rp.Identity()})
	}
	cb.OnDisconnected = func() { s.post(sessionEvent{kind: evRoomClosed}) }

	lk := lksdk.NewRoom(cb)
	// Before joining, so a message sent as soon as the agent appears is
	// not missed.
	if err := lk.RegisterTextStreamHandler(topicChat, s.onChat); err != nil {
		return fmt.Errorf("read %s: %w", topicChat, err)
	}
	if err := lk.JoinWithContextAndToken(ctx, url, token, lksdk.WithAutoSubscribe(true), lksdk.WithLogger(sdkLogger(s.log, token))); err != nil {
		return fmt.Errorf("join room %q: %w", s.job.GetRoom().GetName(), err)
	}
	track, err := room.NewOpusTrack(trackName)
	if err != nil {
		lk.Disconnect()
		return err
	}
	pub, err := lk.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{
		Name:   trackName,
		Source: livekit.TrackSource_MICROPHONE,
	})
	if err != nil {
		lk.Disconnect()
		return fmt.Errorf("publish the agent's audio track: %w", err)
	}
	s.lk, s.track, s.trackSID = lk, track, pub.SID()
	s.identity = lk.LocalParticipant.Identity()
	return nil
}

// leave disconnects from the room and releases the decoders; callbacks
// arriving later find the session left.
func (s *session) leave() {
	s.lk.Disconnect()
	s.mu.Lock()
	s.left = true
	decoders := s.decoders
	s.decoders = nil
	s.mu.Unlock()
	for _, d := range decoders {
		d.Close()
	}
}

// post hands an event to run without blocking an SDK callback past the
// session's end.
func (s *session) post(ev sessionEvent) {
	select {
	case s.events <- ev:
	case <-s.ended:
	}
}

// onTrackSubscribed decodes the first user's microphone and nothing else:
// agents listen to MICROPHONE tracks only, so a track published with
// another source (UNKNOWN, a screen share's audio) is ignored.
func (s *session) onTrackSubscribed(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if rp.Kind() == lksdk.ParticipantAgent || track.Kind() != webrtc.RTPCodecTypeAudio {
		return
	}
	if pub.Source() != livekit.TrackSource_MICROPHONE {
		s.log.Info("ignoring an audio track that is not a microphone",
			"participant", rp.Identity(), "track", pub.SID(), "source", pub.Source().String())
		return
	}
	s.mu.Lock()
	if s.left {
		s.mu.Unlock()
		return
	}
	if s.linked != "" && s.linked != rp.Identity() {
		s.mu.Unlock()
		s.log.Info("ignoring a second user's microphone", "participant", rp.Identity())
		return
	}
	s.linked = rp.Identity()
	dec, err := lkmedia.NewPCMRemoteTrack(track, &frameWriter{out: s.frames, dropped: &s.dropped},
		lkmedia.WithTargetSampleRate(audio.SampleRate), lkmedia.WithTargetChannels(1))
	if err != nil {
		s.mu.Unlock()
		s.log.Error("cannot decode the user's microphone", "participant", rp.Identity(), "err", err)
		return
	}
	s.decoders = append(s.decoders, dec)
	s.mu.Unlock()
	s.post(sessionEvent{kind: evUserTrack, identity: rp.Identity(), trackSID: pub.SID()})
}

// loop serves the room until the job ends and says why it ended.
func (s *session) loop(ctx context.Context) string {
	for {
		select {
		case <-ctx.Done():
			return "the job ended"
		case ev := <-s.events:
			switch ev.kind {
			case evUserTrack:
				s.user, s.userTrack = ev.identity, ev.trackSID
				s.log.Info("hearing the user", "participant", ev.identity, "track", ev.trackSID)
				if s.onHearing != nil {
					s.onHearing()
				}
				if s.opts.greet != nil && !s.greeted {
					s.greeted = true
					if !s.playing && s.thinkC == nil {
						s.startPlayout(ctx, *s.opts.greet, nil)
					}
				}
			case evUserLeft:
				if ev.identity == s.user {
					return "the user left"
				}
			case evRoomClosed:
				return "the room closed"
			case evChat:
				s.chat(ev)
			}
		case f := <-s.frames:
			s.hear(f)
		case <-s.thinkC:
			s.thinkC = nil
			t := s.owed[0]
			s.owed = s.owed[1:]
			s.startPlayout(ctx, s.opts.replyTo(t.heard, &s.cycle), &t)
		case <-s.playDone:
			s.playing, s.playDone, s.stopPlay = false, nil, nil
			s.next()
		}
	}
}

// hear runs one frame of the user's audio through the segmenter, sends
// the captions it calls for, and interrupts a reply the user talks over.
func (s *session) hear(hf heardFrame) {
	voiced := s.seg.voiced(hf.f)
	if voiced {
		if s.runStart.IsZero() {
			s.runStart = hf.at
		}
		s.lastVoiced = hf.at
	} else {
		s.runStart = time.Time{}
	}
	ev := s.seg.pushVoiced(voiced)
	switch ev.kind {
	case segStart:
		n := s.utterances
		s.utterances++
		s.utt = &utterance{
			text:     s.opts.Heard[n%len(s.opts.Heard)],
			segID:    newSegmentID(),
			legacyID: newLegacyID(),
			identity: s.user,
			trackSID: s.userTrack,
			// The frames that made it speech.
			voiced: int(ev.speech / audio.FrameDuration),
		}
		s.record(Fact{Kind: FactSpeechStarted, At: s.runStart, Text: s.utt.text},
			"first_voiced_at", s.runStart, "heard", s.utt.text)
		s.sendUser(ev, false)
	case segInterim:
		s.sendUser(ev, false)
	case segEnd:
		s.sendUser(ev, true)
		now := time.Now()
		s.record(Fact{Kind: FactSpeechEnded, At: now, LastVoicedAt: s.lastVoiced, Text: s.utt.text},
			"speech", ev.speech, "heard", s.utt.text, "last_voiced_at", s.lastVoiced, "detected_at", now)
		s.owed = append(s.owed, turn{heard: s.utt.text, endedAt: s.lastVoiced})
		s.utt = nil
		if !s.playing && s.thinkC == nil {
			s.startThinking()
		}
		return
	}
	if s.utt == nil || !voiced {
		return
	}
	if ev.kind != segStart {
		s.utt.voiced++
	}
	if s.playing && !s.utt.barged && s.interruptFrames > 0 && s.utt.voiced >= s.interruptFrames {
		s.utt.barged = true
		s.interrupt(s.utt.text, "voiced", time.Duration(s.utt.voiced)*audio.FrameDuration)
	}
}

// interrupt stops the reply being said, as LiveKit Agents do when the
// user talks over the agent (allow_interruptions): the audio stops at
// once and the caption stops at the words already sent. The interrupted
// reply is dropped, not said again later, and so are the answers owed
// for earlier turns: the user has moved on, and a real agent answers the
// turn that interrupted it, once that is over. by is what interrupted.
func (s *session) interrupt(by string, attrs ...any) {
	s.stopPlayout(errInterrupted)
	s.owed = nil
	s.setState(stateListening)
	now := time.Now()
	s.record(Fact{Kind: FactInterrupted, At: now, Text: by}, append([]any{"by", by, "at", now}, attrs...)...)
}

// chat takes a message typed on lk.chat as a turn: LiveKit Agents answer
// text input in a voice session as if it had been said, with no user
// caption (the user typed it) and interrupting a reply being said.
func (s *session) chat(ev sessionEvent) {
	if strings.TrimSpace(ev.text) == "" {
		return
	}
	s.record(Fact{Kind: FactChat, At: ev.at, Text: ev.text}, "participant", ev.identity, "text", ev.text, "at", ev.at)
	if s.playing && s.interruptFrames > 0 {
		s.interrupt(ev.text)
	}
	s.owed = append(s.owed, turn{heard: ev.text, endedAt: ev.at, chat: true})
	if !s.playing && s.thinkC == nil {
		s.startThinking()
	}
}

// next, once the agent has stopped speaking, thinks about the oldest turn
// still owed an answer, or listens.
func (s *session) next() {
	if len(s.owed) > 0 {
		s.startThinking()
	} else {
		s.setState(stateListening)
	}
}

// onChat reads a chat message on the SDK's goroutine for the stream and
// hands it to the loop. ReadAll returns once the stream is closed, or
// when the room is left.
func (s *session) onChat(r *lksdk.TextStreamReader, identity string) {
	text := r.ReadAll()
	s.post(sessionEvent{kind: evChat, identity: identity, text: text, at: time.Now()})
}

// sendUser sends the current utterance's caption: an interim (a prefix
// growing with the time spoken), or the final text, which a Node agent
// sends twice: as a final=false stream, then as a final=true stream.
func (s *session) sendUser(ev segEvent, final bool) {
	u := s.utt
	text := u.text
	if !final {
		text = interimText(u.text, ev.speech)
	}
	start, end := ev.startAt, ev.startAt+ev.speech
	if !s.opts.LegacyOnly {
		payload := text
		if s.opts.JSONTranscripts {
			payload = jsonLine(text, start, end)
		}
		finals := []bool{false}
		if final {
			finals = []bool{false, true}
		}
		for _, fin := range finals {
			if err := sendText(s.lk.LocalParticipant, topicTranscription, u.identity, payload, s.streamAttrs(u.segID, fin, u.trackSID)); err != nil {
				s.log.Warn("user transcription not sent", "err", err)
			}
		}
	}
	if err := sendLegacy(s.lk.LocalParticipant, legacySegment{
		participant: u.identity, trackSID: u.trackSID, id: u.legacyID,
		text: text, start: start, end: end, final: final,
	}); err != nil {
		s.log.Warn("legacy user transcription not sent", "err", err)
	}
}

func (s *session) streamAttrs(segID string, final bool, trackSID string) map[string]string {
	attrs := map[string]string{
		attrFinal:            strconv.FormatBool(final),
		attrTranscribedTrack: trackSID,
	}
	if !s.opts.OmitSegmentID {
		attrs[attrSegmentID] = segID
	}
	return attrs
}

// jsonLine is a chunk in the JSON Lines form some agents send: the text
// with its timing, in seconds since the agent began hearing the user.
func jsonLine(text string, start, end time.Duration) string {
	b, _ := json.Marshal(struct {
		Text            string  `json:"text"`
		StartTime       float64 `json:"start_time"`
		EndTime         float64 `json:"end_time"`
		Confidence      float64 `json:"confidence"`
		StartTimeOffset float64 `json:"start_time_offset"`
	}{text, start.Seconds(), end.Seconds(), 0.95, 0})
	return string(b) + "\n"
}

func (s *session) setState(state string) {
	if state == s.state {
		return
	}
	s.state = state
	s.lk.LocalParticipant.SetAttributes(map[string]string{attrAgentState: state})
}

func (s *session) startThinking() {
	s.setState(stateThinking)
	if s.think == nil {
		s.think = time.NewTimer(s.opts.ReplyDelay)
	} else {
		s.think.Reset(s.opts.ReplyDelay)
	}
	s.thinkC = s.think.C
}

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
		s.playout(pctx, sp.clip, sp.text, t)
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
		}
	}
	if ctx.Err() != nil {
		// Cut short: the text stops at what was said.
		if stream != nil && !s.opts.NeverCloseReply {
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
	if stream != nil && !s.opts.NeverCloseReply {
		if err := stream.close(); err != nil {
			sendErr = err
		}
	}
	if len(chunks) > 0 {
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

// sdkLogger routes the SDK's log (and pion's, which it carries) into the
// agent's, one level down, since the SDK reports routine steps of every
// connection at info, and with the room token masked, since the SDK logs
// it when it connects.
//
// The SDK also has a package-wide logger (pion's connection logs go there,
// to the standard log at info by default); SDKLogger gives a program one
// to install with lksdk.SetLogger.
func SDKLogger(l *slog.Logger) protologger.Logger { return sdkLogger(l, "") }

func sdkLogger(l *slog.Logger, token string) protologger.Logger {
	return protologger.LogRLogger(logr.FromSlogHandler(sdkHandler{l.Handler(), token}))
}

type sdkHandler struct {
	slog.Handler
	secret string
}

func quieter(l slog.Level) slog.Level {
	if l < slog.LevelWarn {
		return l - 4
	}
	return l
}

func (h sdkHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, quieter(l))
}

func (h sdkHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, quieter(r.Level), h.mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.maskAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h sdkHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = h.maskAttr(a)
	}
	return sdkHandler{h.Handler.WithAttrs(masked), h.secret}
}

func (h sdkHandler) WithGroup(name string) slog.Handler {
	return sdkHandler{h.Handler.WithGroup(name), h.secret}
}

func (h sdkHandler) mask(s string) string {
	if h.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, h.secret, "[REDACTED]")
}

func (h sdkHandler) maskAttr(a slog.Attr) slog.Attr {
	if s := a.Value.Resolve().String(); h.secret != "" && strings.Contains(s, h.secret) {
		return slog.String(a.Key, h.mask(s))
	}
	return a
}

// frameWriter cuts decoded audio into 20 ms frames for the session loop,
// each stamped with its arrival: the ground truth of when the user's
// speech ended is when its last voiced frame got here, not when the loop
// got round to it. It runs on the SDK's decoder goroutine, so it never
// blocks: a full queue drops the frame and counts it.
type frameWriter struct {
	buf     []int16
	out     chan<- heardFrame
	dropped *atomic.Int64
}

func (w *frameWriter) WriteSample(sample media.PCM16Sample) error {
	at := time.Now()
	w.buf = append(w.buf, sample...)
	for len(w.buf) >= audio.FrameSamples {
		f := make(audio.Frame, audio.FrameSamples)
		copy(f, w.buf)
		w.buf = w.buf[:copy(w.buf, w.buf[audio.FrameSamples:])]
		select {
		case w.out <- heardFrame{f, at}:
		default:
			w.dropped.Add(1)
		}
	}
	return nil
}

func (w *frameWriter) Close() error { return nil }
