package testagent

import (
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// segmenter finds utterances in a stream of 20 ms frames by energy, the way
// a VAD-driven agent does: speech starts once frames have been loud for
// startAfter in a row, and ends once they have been quiet for endAfter. It
// counts time in frames, not on a clock, so it is exact and testable: an
// agent hears only what arrives, and a user who stops sending packets
// never ends an utterance (real agents behave the same, which is why
// clients send silence).
type segmenter struct {
	threshold    float64 // dBFS a frame must exceed to count as voiced
	startFrames  int
	endFrames    int
	interimEvery int

	frame      int // frames pushed so far
	inSpeech   bool
	voicedRun  int // consecutive voiced frames while not in speech
	quietRun   int // consecutive unvoiced frames while in speech
	start      int // frame index where the utterance began
	lastVoiced int // frame index of the last voiced frame
	nextInterm int // frame index at which the next interim is due
}

// segEventKind says what a frame changed.
type segEventKind int

const (
	segNone segEventKind = iota
	// segStart: an utterance began (speech has lasted startAfter).
	segStart
	// segInterim: the utterance goes on; time for an interim transcript.
	// Due every interimEvery, on voiced frames only.
	segInterim
	// segEnd: the utterance is over (silence has lasted endAfter).
	segEnd
)

// segEvent is what the segmenter reports for one frame.
type segEvent struct {
	kind segEventKind
	// speech is how long the utterance has lasted: from its first voiced
	// frame to the current frame (segStart, segInterim) or to its last
	// voiced frame (segEnd).
	speech time.Duration
	// startAt is when the utterance began, as time since the first frame.
	startAt time.Duration
}

func newSegmenter(startAfter, endAfter, interimEvery time.Duration) *segmenter {
	frames := func(d time.Duration) int { return max(1, int((d+audio.FrameDuration-1)/audio.FrameDuration)) }
	return &segmenter{
		threshold:    audio.SpeechThresholdDBFS,
		startFrames:  frames(startAfter),
		endFrames:    frames(endAfter),
		interimEvery: frames(interimEvery),
	}
}

// push takes the next frame.
func (s *segmenter) push(f audio.Frame) segEvent { return s.pushVoiced(s.voiced(f)) }

// voiced reports whether f is loud enough to count as speech.
func (s *segmenter) voiced(f audio.Frame) bool { return audio.DBFS(audio.RMS(f)) > s.threshold }

// audible reports whether f, of the agent's own speech, is loud enough to
// be heard as speech: by the threshold the agent hears the user with, so
// the agent's figures and a client's meter agree.
func audible(f audio.Frame) bool { return audio.DBFS(audio.RMS(f)) > audio.SpeechThresholdDBFS }

func (s *segmenter) pushVoiced(voiced bool) segEvent {
	i := s.frame
	s.frame++
	dur := func(from, to int) time.Duration { return time.Duration(to-from+1) * audio.FrameDuration }
	startAt := func() time.Duration { return time.Duration(s.start) * audio.FrameDuration }

	if !s.inSpeech {
		if !voiced {
			s.voicedRun = 0
			return segEvent{}
		}
		s.voicedRun++
		if s.voicedRun < s.startFrames {
			return segEvent{}
		}
		s.inSpeech = true
		s.start = i - s.voicedRun + 1
		s.lastVoiced = i
		s.quietRun = 0
		s.nextInterm = i + s.interimEvery
		return segEvent{kind: segStart, speech: dur(s.start, i), startAt: startAt()}
	}

	if !voiced {
		s.quietRun++
		if s.quietRun >= s.endFrames {
			s.inSpeech = false
			s.voicedRun = 0
			return segEvent{kind: segEnd, speech: dur(s.start, s.lastVoiced), startAt: startAt()}
		}
		// A recogniser has nothing new to say in a pause.
		return segEvent{}
	}
	s.lastVoiced = i
	s.quietRun = 0
	if i >= s.nextInterm {
		s.nextInterm = i + s.interimEvery
		return segEvent{kind: segInterim, speech: dur(s.start, i), startAt: startAt()}
	}
	return segEvent{}
}
