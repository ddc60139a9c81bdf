package room

import (
	"sync"

	"github.com/webcall-cli/webcall/pkg/transcript"
)

// Event is something that happened in the room, as plain data. The call
// loop type-switches over these.
type Event interface{ roomEvent() }

// ParticipantJoined: a remote participant is in the room (also sent once
// for each participant already there when we joined).
type ParticipantJoined struct {
	Identity   string
	Name       string
	Agent      bool
	Attributes map[string]string
}

// ParticipantLeft: a remote participant left.
type ParticipantLeft struct {
	Identity string
	Agent    bool
}

// AttributesChanged: a remote participant's attributes changed. Changed
// holds the new values (deleted keys map to ""); Attributes all of them.
type AttributesChanged struct {
	Identity   string
	Agent      bool
	Changed    map[string]string
	Attributes map[string]string
}

// AudioSubscribed: the agent's audio track is subscribed and being decoded
// into Config.AgentAudio.
type AudioSubscribed struct {
	Identity string
	TrackSID string
}

// StreamOpened, StreamChunk and StreamClosed follow one lk.transcription
// text stream from header to trailer.
type StreamOpened struct{ Info transcript.StreamInfo }

// StreamChunk is text received on an open stream.
type StreamChunk struct {
	StreamID string
	Text     string
}

// StreamClosed: the stream ended. TrailerFinal is set when the trailer
// carried lk.transcription_final.
type StreamClosed struct {
	StreamID     string
	TrailerFinal *bool
}

// LegacyTranscription: segments from a Transcription data packet, as older
// agents send (and current ones send too, alongside text streams).
type LegacyTranscription struct {
	Identity string
	Segments []transcript.LegacySegment
}

// ChatReceived: a whole chat message arrived on lk.chat from Identity
// (Agent says whether that is an agent participant).
type ChatReceived struct {
	Identity string
	Agent    bool
	Text     string
}

// ConnectionChanged: the SDK is reconnecting or has reconnected.
type ConnectionChanged struct{ State string }

// Disconnected: the room connection ended, for the reason given.
type Disconnected struct{ Reason string }

// Warning: something went wrong that does not end the call.
type Warning struct{ Message string }

func (ParticipantJoined) roomEvent()   {}
func (ParticipantLeft) roomEvent()     {}
func (AttributesChanged) roomEvent()   {}
func (AudioSubscribed) roomEvent()     {}
func (StreamOpened) roomEvent()        {}
func (StreamChunk) roomEvent()         {}
func (StreamClosed) roomEvent()        {}
func (LegacyTranscription) roomEvent() {}
func (ChatReceived) roomEvent()        {}
func (ConnectionChanged) roomEvent()   {}
func (Disconnected) roomEvent()        {}
func (Warning) roomEvent()             {}

// eventQueue decouples SDK callbacks from the consumer: push never blocks
// and never drops, and one pump goroutine feeds the out channel in order.
type eventQueue struct {
	mu      sync.Mutex
	pending []Event
	wake    chan struct{} // has an element when pending may be non-empty
	done    chan struct{}
	out     chan Event
	started bool
	once    sync.Once
	pumped  chan struct{}
}

func newEventQueue() *eventQueue {
	return &eventQueue{
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		out:    make(chan Event),
		pumped: make(chan struct{}),
	}
}

func (q *eventQueue) push(e Event) {
	q.mu.Lock()
	q.pending = append(q.pending, e)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// start begins delivering events. Events pushed before start (during the
// join) are kept and delivered first.
func (q *eventQueue) start() {
	q.mu.Lock()
	q.started = true
	q.mu.Unlock()
	go q.pump()
}

func (q *eventQueue) pump() {
	defer close(q.pumped)
	defer close(q.out)
	for {
		q.mu.Lock()
		batch := q.pending
		q.pending = nil
		q.mu.Unlock()
		for _, e := range batch {
			select {
			case q.out <- e:
			case <-q.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-q.wake:
		case <-q.done:
			return
		}
	}
}

// close stops the pump and waits for it; undelivered events are dropped,
// since nobody is reading any more.
func (q *eventQueue) close() {
	q.once.Do(func() {
		close(q.done)
		q.mu.Lock()
		started := q.started
		q.mu.Unlock()
		if started {
			<-q.pumped
		} else {
			close(q.out)
		}
	})
}
