package testagent

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

const ms = time.Millisecond

// run pushes a pattern of voiced (true) and quiet frames and returns the
// events with the index of the frame that caused them.
func runPattern(s *segmenter, pattern []bool) (events []segEvent, at []int) {
	for i, v := range pattern {
		if ev := s.pushVoiced(v); ev.kind != segNone {
			events = append(events, ev)
			at = append(at, i)
		}
	}
	return events, at
}

// frames builds a pattern: n frames voiced or quiet, repeated in order.
func frames(parts ...any) []bool {
	var p []bool
	for i := 0; i < len(parts); i += 2 {
		n, voiced := parts[i].(int), parts[i+1].(bool)
		for range n {
			p = append(p, voiced)
		}
	}
	return p
}

func TestSegmenter(t *testing.T) {
	type want struct {
		kind    segEventKind
		at      int
		speech  time.Duration
		startAt time.Duration
	}
	tests := []struct {
		name    string
		pattern []bool
		want    []want
	}{
		{"silence", frames(100, false), nil},
		{"a click is not speech", frames(10, false, 4, true, 50, false), nil},
		{"speech starts after 100 ms", frames(10, false, 5, true), []want{{segStart, 14, 100 * ms, 200 * ms}}},
		{
			"one utterance, interims every 300 ms, end after 600 ms of silence",
			frames(50, true, 30, false),
			[]want{
				{segStart, 4, 100 * ms, 0},
				{segInterim, 19, 400 * ms, 0},
				{segInterim, 34, 700 * ms, 0},
				{segInterim, 49, 1000 * ms, 0},
				{segEnd, 79, 1000 * ms, 0},
			},
		},
		{
			"a pause shorter than the timeout keeps the utterance",
			frames(10, true, 29, false, 10, true, 30, false),
			[]want{
				{segStart, 4, 100 * ms, 0},
				// Due at frame 19, in the pause: sent with the next word.
				{segInterim, 39, 800 * ms, 0},
				{segEnd, 78, 980 * ms, 0},
			},
		},
		{
			"two utterances",
			frames(10, true, 30, false, 10, true, 30, false),
			[]want{
				{segStart, 4, 100 * ms, 0},
				{segEnd, 39, 200 * ms, 0},
				{segStart, 44, 100 * ms, 800 * ms},
				{segEnd, 79, 200 * ms, 800 * ms},
			},
		},
		{"no end without frames: speech that just stops arriving never ends", frames(10, true, 29, false), []want{{segStart, 4, 100 * ms, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSegmenter(speechStartAfter, DefaultSilenceTimeout, interimEvery)
			evs, at := runPattern(s, tc.pattern)
			if len(evs) != len(tc.want) {
				t.Fatalf("got %d events %+v at %v, want %d: %+v", len(evs), evs, at, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				got := want{evs[i].kind, at[i], evs[i].speech, evs[i].startAt}
				if got != w {
					t.Errorf("event %d: got %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

func TestSegmenterLevels(t *testing.T) {
	tone := func(dbfs float64) audio.Frame {
		f := audio.NewFrame()
		amp := math.Pow(10, dbfs/20) * math.Sqrt2 * 32767
		for i := range f {
			f[i] = int16(amp * math.Sin(2*math.Pi*440*float64(i)/audio.SampleRate))
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		frame  audio.Frame
		voiced bool
	}{
		{"digital silence", audio.NewFrame(), false},
		{"line noise at -60 dBFS", tone(-60), false},
		{"quiet speech at -35 dBFS", tone(-35), true},
		{"loud speech at -10 dBFS", tone(-10), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSegmenter(speechStartAfter, DefaultSilenceTimeout, interimEvery)
			var started bool
			for range 10 {
				started = started || s.push(tc.frame).kind == segStart
			}
			if started != tc.voiced {
				t.Errorf("speech started = %v, want %v", started, tc.voiced)
			}
		})
	}
}

// The bundled user phrase, followed by silence, is one utterance about as
// long as its speech: the pauses between its words are shorter than the
// silence timeout.
func TestSegmenterOnSpeech(t *testing.T) {
	clip, err := audio.LoadFile(filepath.Join("..", "..", "testdata", "audio", "hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	r := audio.Concat(audio.NewClipReader(clip.Samples), audio.Silence(time.Second))
	s := newSegmenter(speechStartAfter, DefaultSilenceTimeout, interimEvery)
	var got []segEvent
	for f := audio.NewFrame(); r.ReadFrame(f) == nil; {
		if ev := s.push(f); ev.kind == segStart || ev.kind == segEnd {
			got = append(got, ev)
		}
	}
	if len(got) != 2 || got[0].kind != segStart || got[1].kind != segEnd {
		t.Fatalf("events %+v, want one start and one end", got)
	}
	if d := got[1].speech; d < clip.Duration()-time.Second || d > clip.Duration() {
		t.Errorf("utterance lasts %s, the clip %s", d, clip.Duration())
	}
}

// The cost of hearing one 20 ms frame (it runs 50 times a second per
// room).
func BenchmarkSegmenterPush(b *testing.B) {
	clip, err := audio.LoadFile(filepath.Join("..", "..", "testdata", "audio", "hello.wav"))
	if err != nil {
		b.Fatal(err)
	}
	var frames []audio.Frame
	r := audio.NewClipReader(clip.Samples)
	for f := audio.NewFrame(); r.ReadFrame(f) == nil; f = audio.NewFrame() {
		frames = append(frames, f)
	}
	s := newSegmenter(speechStartAfter, DefaultSilenceTimeout, interimEvery)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.push(frames[i%len(frames)])
	}
}
