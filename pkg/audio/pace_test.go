package audio

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// numbered is a Reader of n frames whose first sample is the frame's
// number; onRead, if set, runs before frame i is read (to simulate stalls).
type numbered struct {
	i, n   int
	onRead func(i int)
}

func (r *numbered) ReadFrame(f Frame) error {
	if r.i == r.n {
		return io.EOF
	}
	if r.onRead != nil {
		r.onRead(r.i)
	}
	clear(f)
	f[0] = int16(r.i)
	r.i++
	return nil
}

// paceTimes reads src to its end and returns when each frame came, relative
// to the start.
func paceTimes(t *testing.T, src Source) []time.Duration {
	t.Helper()
	var got []time.Duration
	start := time.Now()
	f := NewFrame()
	for i := 0; ; i++ {
		err := src.ReadFrame(context.Background(), f)
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		if int(f[0]) != i {
			t.Fatalf("frame %d holds frame %d", i, f[0])
		}
		got = append(got, time.Since(start))
	}
}

func ms(v ...int) []time.Duration {
	d := make([]time.Duration, len(v))
	for i, x := range v {
		d[i] = time.Duration(x) * time.Millisecond
	}
	return d
}

// The pacing tests run in synctest bubbles: the real clock and timers, but
// virtual, so the schedule is exact and no test waits or flakes.
func TestPacedSchedule(t *testing.T) {
	tests := []struct {
		name   string
		onRead func(i int)
		want   []time.Duration
		stats  PaceStats
	}{
		{
			name:  "on time",
			want:  ms(0, 20, 40, 60, 80, 100, 120, 140),
			stats: PaceStats{Frames: 8},
		},
		{
			// Frame 4 is read right after frame 3 went out at 60 ms
			// and the read takes 50 ms: 30 ms late is within
			// MaxPaceLag, so the late frames go out at once and the
			// schedule is kept.
			name: "short hiccup",
			onRead: func(i int) {
				if i == 4 {
					time.Sleep(50 * time.Millisecond)
				}
			},
			want:  ms(0, 20, 40, 60, 110, 110, 120, 140),
			stats: PaceStats{Frames: 8},
		},
		{
			// Frame 4 comes 180 ms late: no burst of nine frames; the
			// schedule moves forward and the audio continues from
			// there.
			name: "stall",
			onRead: func(i int) {
				if i == 4 {
					time.Sleep(200 * time.Millisecond)
				}
			},
			want:  ms(0, 20, 40, 60, 260, 280, 300, 320),
			stats: PaceStats{Frames: 8, Stalls: 1, Skipped: 180 * time.Millisecond},
		},
		{
			name: "two stalls",
			onRead: func(i int) {
				if i == 2 || i == 5 {
					time.Sleep(time.Second)
				}
			},
			want:  ms(0, 20, 1020, 1040, 1060, 2060, 2080, 2100),
			stats: PaceStats{Frames: 8, Stalls: 2, Skipped: 1960 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := Paced(&numbered{n: 8, onRead: tt.onRead})
				defer src.Close()
				got := paceTimes(t, src)
				if !equalDurations(got, tt.want) {
					t.Errorf("frames at %v, want %v", got, tt.want)
				}
				if s := src.(*PacedSource).Stats(); s != tt.stats {
					t.Errorf("stats %+v, want %+v", s, tt.stats)
				}
			})
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lateClock is a Clock whose timers fire late by a fixed amount, as real
// timers do by a varying one; it moves its time forward as they fire, so
// nothing waits.
type lateClock struct {
	mu   sync.Mutex
	now  time.Time
	late time.Duration
}

func (c *lateClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *lateClock) NewTimer(d time.Duration) Timer {
	t := &lateTimer{c: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

type lateTimer struct {
	c  *lateClock
	ch chan time.Time
}

func (t *lateTimer) C() <-chan time.Time { return t.ch }
func (t *lateTimer) Stop()               {}
func (t *lateTimer) Reset(d time.Duration) {
	t.c.mu.Lock()
	t.c.now = t.c.now.Add(d + t.c.late)
	now := t.c.now
	t.c.mu.Unlock()
	t.ch <- now
}

func TestPacedDoesNotDrift(t *testing.T) {
	// Every timer fires 3 ms late. Frame n still goes at n*20 ms + 3 ms:
	// the lateness does not add up over the frames.
	clk := &lateClock{now: time.Unix(1e9, 0), late: 3 * time.Millisecond}
	start := clk.Now()
	src := PacedWithClock(&numbered{n: 500}, clk)
	f := NewFrame()
	for i := 0; ; i++ {
		if err := src.ReadFrame(context.Background(), f); err == io.EOF {
			break
		}
		want := time.Duration(i) * FrameDuration
		if i > 0 {
			want += 3 * time.Millisecond
		}
		if got := clk.Now().Sub(start); got != want {
			t.Fatalf("frame %d at %v, want %v", i, got, want)
		}
	}
	if s := src.Stats(); s.Frames != 500 || s.Stalls != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestPacedEndsAndCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := NewFrame()

		// The end of the Reader comes at once, not a frame later.
		src := Paced(&numbered{n: 1})
		src.ReadFrame(context.Background(), f)
		start := time.Now()
		if err := src.ReadFrame(context.Background(), f); err != io.EOF || time.Since(start) != 0 {
			t.Errorf("end: %v after %v, want io.EOF at once", err, time.Since(start))
		}

		// A cancelled context ends a wait.
		src = Paced(Silence(0))
		src.ReadFrame(context.Background(), f)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error)
		go func() { errc <- src.ReadFrame(ctx, f) }()
		synctest.Wait() // the reader is waiting for its frame
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("after cancel: %v, want context.Canceled", err)
		}
		if err := src.ReadFrame(ctx, f); !errors.Is(err, context.Canceled) {
			t.Errorf("with a cancelled context: %v", err)
		}

		// Close ends a wait too, and every read after it.
		go func() { errc <- src.ReadFrame(context.Background(), f) }()
		synctest.Wait()
		src.Close()
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
		if err := src.ReadFrame(context.Background(), f); !errors.Is(err, ErrClosed) {
			t.Errorf("read after Close: %v, want ErrClosed", err)
		}
		if err := src.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// errReader fails on its first read.
type errReader struct{ err error }

func (r errReader) ReadFrame(Frame) error { return r.err }

func TestPacedPassesReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	src := Paced(errReader{boom})
	if err := src.ReadFrame(context.Background(), NewFrame()); err != boom {
		t.Errorf("got %v, want the reader's error", err)
	}
}

// BenchmarkPaced runs in real time: how late does a frame come out after
// its due time? It reports the mean and worst lateness and the allocations
// per frame (none).
func BenchmarkPaced(b *testing.B) {
	src := PacedWithClock(Silence(0), SystemClock)
	defer src.Close()
	f := NewFrame()
	ctx := context.Background()
	src.ReadFrame(ctx, f)
	start := time.Now()
	var n int64
	var sum, worst time.Duration
	b.ReportAllocs()
	for b.Loop() {
		if err := src.ReadFrame(ctx, f); err != nil {
			b.Fatal(err)
		}
		n++
		late := time.Since(start) - time.Duration(n)*FrameDuration
		sum += late
		worst = max(worst, late)
	}
	b.ReportMetric(float64(sum.Microseconds())/float64(n), "µs-late/frame")
	b.ReportMetric(float64(worst.Microseconds()), "µs-late-max")
}
