package audio

import (
	"path/filepath"
	"sync"
	"testing"
)

func newTestRecorder(t testing.TB) (*Recorder, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "call.wav")
	w, err := CreateWAV(path, SampleRate, 2)
	if err != nil {
		t.Fatal(err)
	}
	return NewRecorder(w), path
}

// userFrame is a frame whose samples all hold n, to find it again.
func userFrame(n int) Frame {
	f := NewFrame()
	for i := range f {
		f[i] = int16(n + 1)
	}
	return f
}

// split separates an interleaved stereo recording into its channels.
func split(s []int16) (left, right []int16) {
	for i := 0; i+1 < len(s); i += 2 {
		left = append(left, s[i])
		right = append(right, s[i+1])
	}
	return left, right
}

// TestRecorderTimeline plays out a script of user frames and agent chunks
// and checks where the agent's audio lands on the timeline.
func TestRecorderTimeline(t *testing.T) {
	type agentAt struct {
		before int // written before user frame number
		n      int // samples
	}
	tests := []struct {
		name   string
		frames int
		agent  []agentAt
		// starts[i] is the sample (on the timeline) where agent chunk i
		// should begin; chunks in one burst follow each other.
		starts []int
	}{
		{
			name:   "a burst starts at the next frame and stays contiguous",
			frames: 8,
			agent:  []agentAt{{3, 2400}},
			starts: []int{3 * FrameSamples},
		},
		{
			name:   "frame-sized chunks in step with the user",
			frames: 8,
			agent:  []agentAt{{2, 960}, {3, 960}, {4, 960}},
			starts: []int{2 * FrameSamples, 3 * FrameSamples, 4 * FrameSamples},
		},
		{
			// Chunks that do not match the frames (a decoder's own
			// sizes, network jitter): a partial frame waits one frame
			// for the rest instead of leaving a gap inside a word.
			name:   "uneven chunks join up",
			frames: 9,
			agent:  []agentAt{{2, 640}, {3, 1280}, {4, 640}, {5, 1280}},
			starts: []int{3 * FrameSamples, 3*FrameSamples + 640, 3*FrameSamples + 1920, 3*FrameSamples + 2560},
		},
		{
			name:   "a lone partial frame goes out padded a frame later",
			frames: 6,
			agent:  []agentAt{{2, 300}},
			starts: []int{3 * FrameSamples},
		},
		{
			name:   "two replies with a pause",
			frames: 12,
			agent:  []agentAt{{1, 1920}, {8, 960}},
			starts: []int{1 * FrameSamples, 8 * FrameSamples},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, path := newTestRecorder(t)
			agent := rec.Agent()
			var chunks [][]int16
			for f := 0; f < tt.frames; f++ {
				for _, a := range tt.agent {
					if a.before == f {
						c := make([]int16, a.n)
						for i := range c {
							c[i] = int16(1000 + 100*len(chunks) + i%50)
						}
						chunks = append(chunks, c)
						agent.Write(c)
					}
				}
				if err := rec.User(userFrame(f)); err != nil {
					t.Fatal(err)
				}
			}
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			got := readRawWAV(t, path)
			if got.channels != 2 || got.rate != SampleRate {
				t.Fatalf("%d channels at %d Hz", got.channels, got.rate)
			}
			left, right := split(got.samples)
			if len(left) != tt.frames*FrameSamples {
				t.Fatalf("%d samples per channel, want %d frames", len(left), tt.frames)
			}
			for f := 0; f < tt.frames; f++ {
				if !equalPCM(left[f*FrameSamples:(f+1)*FrameSamples], userFrame(f)) {
					t.Errorf("left channel, frame %d is not user frame %d", f, f)
				}
			}
			want := make([]int16, len(right))
			for i, c := range chunks {
				copy(want[tt.starts[i]:], c)
			}
			if !equalPCM(right, want) {
				t.Errorf("right channel: agent audio at %v, want %v", chunkStarts(right), tt.starts)
			}
			if rec.Dropped() != 0 {
				t.Errorf("dropped %d samples", rec.Dropped())
			}
		})
	}
}

// chunkStarts finds where runs of agent audio begin, for messages.
func chunkStarts(s []int16) []int {
	var starts []int
	for i, v := range s {
		if v != 0 && (i == 0 || s[i-1] == 0 || (v-1000)/100 != (s[i-1]-1000)/100) {
			starts = append(starts, i)
		}
	}
	return starts
}

func TestRecorderDropsOldestWhenFull(t *testing.T) {
	rec, path := newTestRecorder(t)
	agent := rec.Agent()
	// Three seconds arrive while no user frame is sent (the sender
	// stalled): the oldest second goes.
	burst := make([]int16, 3*SampleRate)
	for i := range burst {
		burst[i] = int16(i / FrameSamples)
	}
	agent.Write(burst[:SampleRate])
	agent.Write(burst[SampleRate:])
	if rec.Dropped() != SampleRate {
		t.Errorf("dropped %d samples, want %d", rec.Dropped(), SampleRate)
	}
	rec.User(NewFrame())
	rec.Close()
	_, right := split(readRawWAV(t, path).samples)
	if !equalPCM(right, burst[SampleRate:SampleRate+FrameSamples]) {
		t.Errorf("after a drop the recording goes on with frame %d, want %d", right[0], SampleRate/FrameSamples)
	}

	// One chunk larger than the whole queue keeps its newest part.
	rec, _ = newTestRecorder(t)
	rec.Agent().Write(make([]int16, AgentQueueLimit+100))
	if rec.Dropped() != 100 {
		t.Errorf("dropped %d samples of an oversized chunk, want 100", rec.Dropped())
	}
	rec.Close()
}

// TestRecorderConcurrent runs the two sides on their own goroutines, as in
// a call, under the race detector: every agent sample is recorded once, in
// order.
func TestRecorderConcurrent(t *testing.T) {
	rec, path := newTestRecorder(t)
	const frames = 400
	agentSent := make(chan int, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		sink := rec.Agent()
		n := 0
		// Fewer than AgentQueueLimit samples in all, so that none is
		// dropped however the goroutines are scheduled.
		for i := range 100 {
			c := make([]int16, 700+i%200)
			for j := range c {
				c[j] = int16(n%30000 + 1)
				n++
			}
			sink.Write(c)
		}
		agentSent <- n
	})
	for f := range frames {
		rec.User(userFrame(f))
		if f == frames-100 {
			wg.Wait() // leave the last frames to drain the queue
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	n := <-agentSent
	_, right := split(readRawWAV(t, path).samples)
	var got []int16
	for _, v := range right {
		if v != 0 {
			got = append(got, v)
		}
	}
	if len(got) != n || rec.Dropped() != 0 {
		t.Fatalf("recorded %d agent samples (dropped %d), want %d", len(got), rec.Dropped(), n)
	}
	for i, v := range got {
		if int(v) != i%30000+1 {
			t.Fatalf("agent sample %d is %d: out of order", i, v)
		}
	}
}

// BenchmarkRecorder is one 20 ms step of a call: a frame of agent audio in,
// a user frame recorded. It must not allocate.
func BenchmarkRecorder(b *testing.B) {
	rec, _ := newTestRecorder(b)
	defer rec.w.Abort()
	agent := rec.Agent()
	user, reply := userFrame(1), sine(FrameSamples, SampleRate, 440, 0.3)
	b.ReportAllocs()
	for b.Loop() {
		agent.Write(reply)
		if err := rec.User(user); err != nil {
			b.Fatal(err)
		}
	}
}
