// Package transcript keeps the captions of a call as plain data and draws
// them.
//
// The Store knows nothing of LiveKit: the room package adapts
// `lk.transcription` text streams and legacy Transcription packets into
// calls on it, and the call loop turns the Changes it returns into
// event.Events for the renderers (NewPlain, NewTTY, NewJSON). Nothing here
// starts a goroutine.
//
// The wire rules the Store encodes (see the project's notes on the LiveKit
// agent wire):
//   - A segment shows the text of its LATEST stream. User speech arrives as
//     a new complete stream per update (replace); agent speech as one
//     stream written word by word (append within the stream).
//   - Finality is read from each stream's own header, or from its trailer.
//     An agent stream's close is final even without the attribute (Node
//     agents cannot set it on close); a user stream that closes with
//     final=false is an interim. A stream that never closes stays interim
//     until Flush.
//   - Final is reported once per segment; a later final with other text is
//     a Correction. A final segment is never made interim again.
//   - Agents that send both text streams and legacy packets use different
//     segment ids for them, so legacy packets are dropped per participant
//     once that participant has sent a text stream (see Legacy).
package transcript

import (
	"cmp"
	"slices"
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
)

// Speaker says whose speech a segment is.
type Speaker string

// The two speakers, spelled as in event.Event.Speaker.
const (
	SpeakerUser  Speaker = event.SpeakerUser
	SpeakerAgent Speaker = event.SpeakerAgent
)

// DefaultLegacyGrace is how long a legacy update from a participant that
// has not sent a text stream yet is held back, in case its text stream is
// just behind it. It bounds the extra latency of agents that only send
// legacy packets, on their first update only.
const DefaultLegacyGrace = 500 * time.Millisecond

// MaxSegmentText bounds the text of one segment, in bytes: an agent that
// keeps a stream open and writing, or sends a legacy packet of megabytes,
// must not make the call hold (and redraw) ever more text. 64 KiB is over
// an hour of speech; what comes past it is dropped.
const MaxSegmentText = 64 << 10

// legacyPrefix keeps legacy segment ids apart from text stream ids.
const legacyPrefix = "legacy:"

// Options tune a Store.
type Options struct {
	// LegacyGrace: see DefaultLegacyGrace, used when zero. A negative value
	// releases legacy updates at once (no de-duplication against streams
	// that arrive later).
	LegacyGrace time.Duration
	// MaxSegments bounds the segments held (see DefaultMaxSegments, used
	// when zero or less).
	MaxSegments int
}

// StreamInfo is the header of one `lk.transcription` text stream.
type StreamInfo struct {
	StreamID string
	// SegmentID is lk.segment_id. Older agents omit it; the stream id is
	// used instead.
	SegmentID string
	Speaker   Speaker
	// Identity is whose speech it is: the user's identity for STT, the
	// agent's for its own speech.
	Identity string
	// Sender is the participant that sent the stream (the agent sends user
	// STT on the user's behalf). Used only to drop duplicate legacy packets.
	Sender string
	// Final is lk.transcription_final of THIS stream's header.
	Final bool
}

// LegacySegment is one segment of a legacy Transcription packet. Its Text
// is the whole text of the segment so far.
type LegacySegment struct {
	ID       string
	Speaker  Speaker
	Identity string
	Text     string
	Final    bool
}

// Segment is one caption: a stretch of one speaker's speech.
type Segment struct {
	// ID is the lk.segment_id, the stream id when that is missing, or the
	// legacy segment id prefixed with "legacy:".
	ID       string
	Speaker  Speaker
	Identity string
	// Text is the whole current text, never a delta, of at most
	// MaxSegmentText bytes.
	Text  string
	Final bool
	// Started is when the Store first heard of the segment (the first
	// stream header or legacy packet), Updated when its text or finality
	// last changed.
	Started time.Time
	Updated time.Time
}

// ChangeKind says what a Change reports.
type ChangeKind int

const (
	// Interim: the segment's text changed and is not settled yet.
	Interim ChangeKind = iota
	// Final: the segment is settled. Reported once per segment.
	Final
	// Correction: a settled segment got other final text. Consumers
	// replace the segment's text by its id.
	Correction
)

func (k ChangeKind) String() string {
	switch k {
	case Interim:
		return "interim"
	case Final:
		return "final"
	case Correction:
		return "correction"
	}
	return "unknown"
}

// Change is something the consumers of the Store must show: the segment as
// it is after the change, with its full text.
type Change struct {
	Kind    ChangeKind
	Segment Segment
}

// Event is the transcript event for c. The caller sets TimeMS.
func (c Change) Event() event.Event {
	return event.Event{
		Type:      event.Transcript,
		Identity:  c.Segment.Identity,
		Speaker:   string(c.Segment.Speaker),
		SegmentID: c.Segment.ID,
		Text:      c.Segment.Text,
		Final:     event.Bool(c.Kind != Interim),
	}
}

// Store holds the segments of one call. It is not safe for concurrent use:
// the call loop owns it and is the only caller, with its own clock.
type Store struct {
	grace   time.Duration
	maxText int // MaxSegmentText; smaller in tests

	maxSegments int // Options.MaxSegments
	dropped     int // listed segments let go to stay within maxSegments

	segments map[string]*segment
	order    []*segment // listed segments (those that had text), in order of first text
	streams  map[string]*stream
	seq      uint64 // counts opened streams, to settle open streams in order

	// unnamed maps a speaker to the segment its streams without
	// lk.segment_id are building, until that segment is final.
	unnamed map[string]string

	streamed   map[string]bool // participants that have sent a text stream
	legacyOnly map[string]bool // participants whose legacy packets pass at once
	held       []heldLegacy

	// session counts NewSession calls; renamed maps an id an earlier
	// session used to the key of this session's segment of that id.
	session int
	renamed map[string]string
}

type segment struct {
	Segment
	listed  bool
	stream  *stream // the latest stream, while it is open
	session int     // the session that began it (NewSession)
	// origID is the id the agent gave it, when that was renamed for its
	// session (NewSession): ID is then "<origID>~<n>".
	origID string
}

type heldLegacy struct {
	at     time.Time
	sender string
	seg    LegacySegment
}

// NewStore returns an empty Store.
func NewStore(opts Options) *Store {
	grace := opts.LegacyGrace
	if grace == 0 {
		grace = DefaultLegacyGrace
	}
	maxSegments := opts.MaxSegments
	if maxSegments <= 0 {
		maxSegments = DefaultMaxSegments
	}
	return &Store{
		grace:       grace,
		maxText:     MaxSegmentText,
		maxSegments: maxSegments,
		segments:    make(map[string]*segment),
		streams:     make(map[string]*stream),
		unnamed:     make(map[string]string),
		streamed:    make(map[string]bool),
		legacyOnly:  make(map[string]bool),
		renamed:     make(map[string]string),
	}
}

// OpenStream starts a text stream. The stream's text replaces the
// segment's text as soon as it has any: until then the segment keeps
// showing the previous stream's text, so a new interim never blanks the
// caption. A stream whose header says final shows its text as interim
// while it is written (its text is complete only when it closes).
//
// A non-final user stream for a segment that is already final, or whose
// final stream is still being written, is ignored: agents send the final
// text as a non-final stream just before the final one, and the SDK reads
// each stream on its own goroutine, so the two can arrive in either order.
// Only the final one may settle the segment.
// OpenStream reports no changes today (a header carries no text); it
// returns them like every other update so the caller handles all alike.
func (s *Store) OpenStream(now time.Time, info StreamInfo) []Change {
	s.markStreamed(info.Identity, info.Sender)

	identity := info.Identity
	if identity == "" {
		identity = info.Sender
	}
	key := info.SegmentID
	if key == "" {
		key = s.unnamedSegment(now, string(info.Speaker)+"\x00"+identity, info)
	}
	seg := s.segment(now, key, info.Speaker, identity)
	closeIsFinal := info.Final || info.Speaker == SpeakerAgent
	if !closeIsFinal && (seg.Final || (seg.stream != nil && seg.stream.closeIsFinal)) {
		// A late non-final twin of the final text (see above).
		return nil
	}
	if seg.stream != nil {
		// Superseded: its later chunks and close must not touch the
		// segment, and forgetting it frees streams that never close.
		delete(s.streams, seg.stream.id)
	}
	if old := s.streams[info.StreamID]; old != nil && old.seg != seg {
		old.seg.stream = nil
		s.forgetEmpty(old.seg)
	}
	s.seq++
	st := &stream{id: info.StreamID, seg: seg, seq: s.seq, closeIsFinal: closeIsFinal, limit: s.maxText}
	s.streams[info.StreamID] = st
	seg.stream = st
	return nil
}

// unnamedSegment keys a stream that has no lk.segment_id (older agents).
// Such agents still send a new complete stream for every interim update,
// so keying by stream id would list each interim as a segment of its own:
// instead, a speaker's unnamed streams all update one segment until it is
// final, and the next one starts a new segment, keyed by its stream id.
//
// Streams reach the store in no guaranteed order (the SDK reads each on
// its own goroutine), so the final text sent as a non-final stream just
// before the final one may arrive just after it: a non-final stream within
// unnamedLateness of its speaker's last final is taken as that late
// duplicate. No new utterance is transcribed that fast.
func (s *Store) unnamedSegment(now time.Time, speaker string, info StreamInfo) string {
	if key, ok := s.unnamed[speaker]; ok {
		seg := s.segments[key]
		if seg != nil && !seg.Final {
			return key
		}
		if seg != nil && !info.Final && now.Sub(seg.Updated) < unnamedLateness {
			return key
		}
	}
	s.unnamed[speaker] = info.StreamID
	return info.StreamID
}

// unnamedLateness: see unnamedSegment.
const unnamedLateness = 300 * time.Millisecond

// AppendStream adds a chunk to an open stream. Chunks of unknown or
// superseded streams are dropped.
func (s *Store) AppendStream(now time.Time, streamID, chunk string) []Change {
	st := s.streams[streamID]
	if st == nil {
		return nil
	}
	st.write(chunk)
	return s.apply(now, st.seg, st.text(), false)
}

// CloseStream ends a stream. trailerFinal is lk.transcription_final from
// the trailer, nil when absent; true settles the segment like a final
// header does, false does not undo a final header.
func (s *Store) CloseStream(now time.Time, streamID string, trailerFinal *bool) []Change {
	st := s.streams[streamID]
	if st == nil {
		return nil
	}
	delete(s.streams, streamID)
	st.seg.stream = nil
	st.finish()
	final := st.closeIsFinal || (trailerFinal != nil && *trailerFinal)
	changes := s.apply(now, st.seg, st.text(), final)
	s.forgetEmpty(st.seg)
	return changes
}

// Legacy takes one segment of a legacy Transcription packet sent by
// sender. Once any text stream has come from the segment's participant
// (its identity or sender), its legacy packets are duplicates under other
// ids and are dropped. Until then the first updates are held for the grace
// period, since a packet can arrive just before the first stream; if no
// stream came meanwhile Tick releases them and the participant's later
// packets pass at once.
//
// A participant that starts sending streams only after its legacy updates
// were released keeps the legacy segments already shown.
func (s *Store) Legacy(now time.Time, sender string, seg LegacySegment) []Change {
	if s.streamed[sender] || s.streamed[seg.Identity] {
		return nil
	}
	if s.grace < 0 || s.legacyOnly[sender] || s.legacyOnly[seg.Identity] {
		return s.applyLegacy(now, sender, seg)
	}
	s.held = append(s.held, heldLegacy{at: now, sender: sender, seg: seg})
	return nil
}

// Tick releases held legacy updates whose grace period is over. The call
// loop calls it periodically (every 100 ms is plenty).
func (s *Store) Tick(now time.Time) []Change {
	return s.release(func(h heldLegacy) bool {
		return !now.Before(h.at.Add(s.grace)) || s.legacyOnly[h.sender] || s.legacyOnly[h.seg.Identity]
	})
}

// Flush ends the call: held legacy updates are released, open streams are
// taken as complete, and every segment that is still interim is settled as
// final, so nothing that was said is lost.
func (s *Store) Flush(now time.Time) []Change {
	changes := s.release(func(heldLegacy) bool { return true })

	open := make([]*stream, 0, len(s.streams))
	for _, st := range s.streams {
		open = append(open, st)
	}
	slices.SortFunc(open, func(a, b *stream) int { return cmp.Compare(a.seq, b.seq) })
	for _, st := range open {
		delete(s.streams, st.id)
		st.seg.stream = nil
		st.finish()
		if text := st.text(); text != "" && !st.seg.Final {
			s.setText(now, st.seg, text)
		}
	}
	for _, seg := range s.order {
		changes = append(changes, s.apply(now, seg, seg.Text, true)...)
	}
	return changes
}

// Segments returns the segments that have text, in order of first
// appearance: those the Store still holds, the oldest final ones having
// gone past Options.MaxSegments (see Dropped).
func (s *Store) Segments() []Segment {
	out := make([]Segment, len(s.order))
	for i, seg := range s.order {
		out[i] = seg.Segment
	}
	return out
}

func (s *Store) segment(now time.Time, id string, speaker Speaker, identity string) *segment {
	key := s.sessionKey(id)
	seg := s.segments[key]
	if seg == nil {
		seg = &segment{Segment: Segment{ID: key, Speaker: speaker, Identity: identity, Started: now}, session: s.session}
		if key != id {
			seg.origID = id
		}
		s.segments[key] = seg
		s.bound(seg)
	}
	return seg
}

// forgetEmpty drops a segment that never had text and has no open stream,
// so streams that carried nothing leave nothing behind.
func (s *Store) forgetEmpty(seg *segment) {
	if !seg.listed && seg.stream == nil {
		delete(s.segments, seg.ID)
	}
}

// apply sets a segment's text and finality and says what changed. Empty
// text means "no new text": a stream that closed without a word settles
// what the segment already shows.
func (s *Store) apply(now time.Time, seg *segment, text string, final bool) []Change {
	if text == "" {
		text = seg.Text
	}
	if text == "" {
		return nil
	}
	var kind ChangeKind
	switch {
	case seg.Final:
		if !final || text == seg.Text {
			return nil
		}
		kind = Correction
	case final:
		kind = Final
	case text == seg.Text:
		return nil
	default:
		kind = Interim
	}
	s.setText(now, seg, text)
	seg.Final = final
	return []Change{{Kind: kind, Segment: seg.Segment}}
}

func (s *Store) setText(now time.Time, seg *segment, text string) {
	seg.Text = text
	seg.Updated = now
	if !seg.listed {
		seg.listed = true
		s.order = append(s.order, seg)
	}
}

func (s *Store) markStreamed(participants ...string) {
	for _, p := range participants {
		if p != "" {
			s.streamed[p] = true
		}
	}
	s.held = slices.DeleteFunc(s.held, func(h heldLegacy) bool {
		return s.streamed[h.sender] || s.streamed[h.seg.Identity]
	})
}

// release applies the held legacy updates that ready accepts, in arrival
// order. Releasing one marks its participant legacy-only, so that
// participant's later held updates follow in the same pass, in order.
func (s *Store) release(ready func(heldLegacy) bool) []Change {
	var changes []Change
	kept := s.held[:0]
	for _, h := range s.held {
		if !ready(h) {
			kept = append(kept, h)
			continue
		}
		for _, p := range []string{h.sender, h.seg.Identity} {
			if p != "" {
				s.legacyOnly[p] = true
			}
		}
		changes = append(changes, s.applyLegacy(h.at, h.sender, h.seg)...)
	}
	clear(s.held[len(kept):])
	s.held = kept
	return changes
}

func (s *Store) applyLegacy(now time.Time, sender string, ls LegacySegment) []Change {
	identity := ls.Identity
	if identity == "" {
		identity = sender
	}
	seg := s.segment(now, legacyPrefix+ls.ID, ls.Speaker, identity)
	changes := s.apply(now, seg, clipText(ls.Text, s.maxText), ls.Final)
	s.forgetEmpty(seg)
	return changes
}
