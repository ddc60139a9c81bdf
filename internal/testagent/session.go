package testagent

import (
	"context"
	"encoding/json"
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
	frames chan audio.Frame
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
	replies    int        // replies said or being said
	utt        *utterance // the utterance being heard, nil between
	owed       int        // replies owed for finished utterances
	think      *time.Timer
	thinkC     <-chan time.Time // nil unless thinking
	greeted    bool
	playing    bool
	playDone   chan struct{}
	stopPlay   context.CancelFunc
}

type eventKind int

const (
	evUserTrack eventKind = iota
	evUserLeft
	evRoomClosed
)

type sessionEvent struct {
	kind     eventKind
	identity string
	trackSID string
}

// utterance is one stretch of user speech and its captions.
type utterance struct {
	text     string // what the script says was said
	segID    string
	legacyID string
	identity string
	trackSID string
}

func newSession(opts *prepared, job *livekit.Job, log *slog.Logger, report reportFunc) *session {
	return &session{
		opts:   opts,
		job:    job,
		log:    log.With("job", job.GetId(), "room", job.GetRoom().GetName()),
		report: report,
		events: make(chan sessionEvent, eventQueue),
		frames: make(chan audio.Frame, frameQueue),
		ended:  make(chan struct{}),
		state:  stateListening,
		seg:    newSegmenter(speechStartAfter, opts.SilenceTimeout, interimEvery),
	}
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

	s.stopPlayout()
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
						s.startPlayout(ctx, *s.opts.greet)
					}
				}
			case evUserLeft:
				if ev.identity == s.user {
					return "the user left"
				}
			case evRoomClosed:
				return "the room closed"
			}
		case f := <-s.frames:
			s.hear(f)
		case <-s.thinkC:
			s.thinkC = nil
			s.owed--
			s.startPlayout(ctx, s.opts.replies[s.replies%len(s.opts.replies)])
			s.replies++
		case <-s.playDone:
			s.playing, s.playDone, s.stopPlay = false, nil, nil
			if s.owed > 0 {
				s.startThinking()
			} else {
				s.setState(stateListening)
			}
		}
	}
}

// hear runs one frame of the user's audio through the segmenter and sends
// the captions it calls for.
func (s *session) hear(f audio.Frame) {
	ev := s.seg.push(f)
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
		}
		s.log.Info("user speech started")
		s.sendUser(ev, false)
	case segInterim:
		s.sendUser(ev, false)
	case segEnd:
		s.sendUser(ev, true)
		s.log.Info("user speech ended", "speech", ev.speech, "heard", s.utt.text)
		s.utt = nil
		s.owed++
		if !s.playing && s.thinkC == nil {
			s.startThinking()
		}
	}
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

// startPlayout says sp on the agent's track in its own goroutine;
// playDone tells the loop when it is over.
func (s *session) startPlayout(ctx context.Context, sp speech) {
	s.setState(stateSpeaking)
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.playing, s.playDone, s.stopPlay = true, done, cancel
	go func() {
		defer close(done)
		s.playout(pctx, sp.clip, sp.text)
	}()
}

// stopPlayout cuts a reply short and waits for its goroutine.
func (s *session) stopPlayout() {
	if !s.playing {
		return
	}
	s.stopPlay()
	<-s.playDone
	s.playing = false
}

// playout sends clip in real time, frame by frame, and its text as one
// stream that opens replyTextDelay after the audio starts and gets word i
// of n at i/n of the audio, then closes when the audio is over. The same
// growing text goes out as legacy packets, final at the end.
func (s *session) playout(ctx context.Context, clip *audio.Clip, text string) {
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

	f := audio.NewFrame()
	for k := 0; ; k++ {
		if err := src.ReadFrame(ctx, f); err != nil {
			break
		}
		if err := s.track.WriteFrame(f); err != nil && sendErr == nil {
			sendErr = err
		}
		elapsed := time.Duration(k) * audio.FrameDuration
		for elapsed >= replyTextDelay && next < len(chunks) && wordDue(next, len(chunks), total) <= elapsed {
			emit(next)
			next++
		}
	}
	if ctx.Err() != nil {
		// Cut short: the text stops at what was said.
		if stream != nil && !s.opts.NeverCloseReply {
			stream.close()
		}
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
	s.log.Info("reply said", "duration", total, "text", text)
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

// frameWriter cuts decoded audio into 20 ms frames for the session loop.
// It runs on the SDK's decoder goroutine, so it never blocks: a full queue
// drops the frame and counts it.
type frameWriter struct {
	buf     []int16
	out     chan<- audio.Frame
	dropped *atomic.Int64
}

func (w *frameWriter) WriteSample(sample media.PCM16Sample) error {
	w.buf = append(w.buf, sample...)
	for len(w.buf) >= audio.FrameSamples {
		f := make(audio.Frame, audio.FrameSamples)
		copy(f, w.buf)
		w.buf = w.buf[:copy(w.buf, w.buf[audio.FrameSamples:])]
		select {
		case w.out <- f:
		default:
			w.dropped.Add(1)
		}
	}
	return nil
}

func (w *frameWriter) Close() error { return nil }
