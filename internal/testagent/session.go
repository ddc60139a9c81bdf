package testagent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	media "github.com/livekit/media-sdk"
	"github.com/livekit/protocol/livekit"
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
	s.lk = lk
	s.identity = lk.LocalParticipant.Identity()
	if s.opts.TextOnly {
		return nil
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
	s.track, s.trackSID = track, pub.SID()
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
				s.record(Fact{Kind: FactUserTrack, At: time.Now(), Text: ev.trackSID}, "participant", ev.identity, "track", ev.trackSID)
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
		s.reportUserTurn(s.utt.text, s.lastVoiced, now)
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
