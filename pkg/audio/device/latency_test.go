//go:build !noportaudio

package device

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/pkg/audio"
)

// The latency benchmarks measure, on PulseAudio's virtual devices, how long
// a click takes through webcall's device glue, against the same click
// through PulseAudio's own minimal clients (pacat), which is what the
// virtual devices cost by themselves:
//
//	capture:  a click played into the microphone's sink, until the frame
//	          holding it comes out of Capture.ReadFrame (the moment
//	          webcall's sender encodes and sends it);
//	playback: a frame written to Playback (the moment the network decoder
//	          hands it over), until the click is heard on the speaker's
//	          monitor.
//
// Run them with:
//
//	go test -run '^$' -bench Latency -benchtime 20x ./pkg/audio/device
//
// ms/click is the whole path; ms/glue subtracts the pacat baseline, which
// leaves what webcall adds.

// clickGap separates clicks, longer than any latency measured.
const clickGap = 300 * time.Millisecond

// clickLevel tells a click from the silence around it.
const clickLevel = 8000

func click() []int16 {
	c := make([]int16, audio.SampleRate/1000) // 1 ms
	for i := range c {
		c[i] = 20000
	}
	return c
}

// clickTimes reads raw 48 kHz mono PCM from r and sends the time each
// click arrived on the returned channel, until r ends.
func clickTimes(r io.Reader) <-chan time.Time {
	ch := make(chan time.Time, 16)
	go func() {
		defer close(ch)
		buf := make([]byte, 4096)
		var last time.Time
		for {
			n, err := r.Read(buf)
			now := time.Now()
			for i := 0; i+1 < n; i += 2 {
				v := int16(uint16(buf[i]) | uint16(buf[i+1])<<8)
				if (v > clickLevel || v < -clickLevel) && now.Sub(last) > clickGap/2 {
					last = now
					ch <- now
					break
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// pacat starts pacat with args on s and returns its stdin or stdout.
func pacat(b *testing.B, s *pulse.Server, record bool, device string) (*exec.Cmd, io.ReadWriteCloser) {
	b.Helper()
	mode := "--playback"
	if record {
		mode = "--record"
	}
	cmd := s.Command(context.Background(), "pacat", mode, "--raw", "--device="+device,
		"--format=s16le", fmt.Sprintf("--rate=%d", pulse.Rate), "--channels=1", "--latency-msec=2")
	var pipe io.ReadWriteCloser
	var err error
	if record {
		var r io.ReadCloser
		r, err = cmd.StdoutPipe()
		pipe = readOnly{r}
	} else {
		var w io.WriteCloser
		w, err = cmd.StdinPipe()
		pipe = writeOnly{w}
	}
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		pipe.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, pipe
}

type readOnly struct{ io.ReadCloser }

func (readOnly) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

type writeOnly struct{ io.WriteCloser }

func (writeOnly) Read([]byte) (int, error) { return 0, io.EOF }

// feeder writes silence into w in real time, 10 ms at a time, with a
// click whenever one is asked for on the returned channel; it reports the
// time each click was written.
func feeder(ctx context.Context, w io.Writer) (chan<- struct{}, <-chan time.Time) {
	ask, sent := make(chan struct{}, 1), make(chan time.Time, 1)
	go func() {
		chunk := make([]int16, audio.SampleRate/100)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			clear(chunk)
			clicked := false
			select {
			case <-ask:
				copy(chunk, click())
				clicked = true
			default:
			}
			if _, err := w.Write(int16LE(chunk)); err != nil {
				return
			}
			if clicked {
				sent <- time.Now()
			}
		}
	}()
	return ask, sent
}

func int16LE(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	return b
}

func waitClick(b *testing.B, ch <-chan time.Time, what string) time.Time {
	b.Helper()
	select {
	case t, ok := <-ch:
		if !ok {
			b.Fatalf("%s ended", what)
		}
		return t
	case <-time.After(5 * time.Second):
		b.Fatalf("no click on %s", what)
	}
	return time.Time{}
}

// reportLatency reports the mean latencies of b.N clicks; ns/op, the time
// of a loop with pauses between clicks, means nothing here.
func reportLatency(b *testing.B, total, base time.Duration) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	b.ReportMetric(ms(total), "ms/click")
	b.ReportMetric(ms(total-base), "ms/glue")
	b.ReportMetric(ms(base), "ms/pacat")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkCaptureLatency(b *testing.B) {
	s := pulse.Start(b)
	s.Setenv(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := Open(ctx, Config{Capture: true, Input: pulse.ALSAMic})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()

	// webcall's side: frames out of ReadFrame.
	glue := make(chan time.Time, 16)
	go func() {
		defer close(glue)
		f := audio.NewFrame()
		var last time.Time
		for {
			if err := d.Capture().ReadFrame(ctx, f); err != nil {
				return
			}
			now := time.Now()
			for _, v := range f {
				if (v > clickLevel || v < -clickLevel) && now.Sub(last) > clickGap/2 {
					last = now
					glue <- now
					break
				}
			}
		}
	}()
	// The baseline: pacat recording the same microphone.
	_, rec := pacat(b, s, true, pulse.MicSource)
	ref := clickTimes(rec)
	_, play := pacat(b, s, false, pulse.MicSink)
	ask, sent := feeder(ctx, play)
	time.Sleep(clickGap)

	var total, base time.Duration
	b.ResetTimer()
	for range b.N {
		ask <- struct{}{}
		t0 := <-sent
		tg := waitClick(b, glue, "ReadFrame")
		tr := waitClick(b, ref, "pacat --record")
		total += tg.Sub(t0)
		base += tr.Sub(t0)
		time.Sleep(clickGap)
	}
	b.StopTimer()
	reportLatency(b, total, base)
}

func BenchmarkPlaybackLatency(b *testing.B) {
	s := pulse.Start(b)
	s.Setenv(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := Open(ctx, Config{Playback: true, Output: pulse.ALSASpeaker})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	_, rec := pacat(b, s, true, pulse.SpeakerMonitor)
	heard := clickTimes(rec)

	// webcall's side: 20 ms frames written in real time, as the decoder
	// delivers them, with a click when asked.
	ask, sent := make(chan struct{}, 1), make(chan time.Time, 1)
	go func() {
		p := d.Playback()
		tick := time.NewTicker(audio.FrameDuration)
		defer tick.Stop()
		f := audio.NewFrame()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			clear(f)
			clicked := false
			select {
			case <-ask:
				copy(f, click())
				clicked = true
			default:
			}
			now := time.Now()
			if err := p.Write(f); err != nil {
				return
			}
			if clicked {
				sent <- now
			}
		}
	}()
	time.Sleep(clickGap)

	// The baseline: the same click played by pacat into a sink whose
	// monitor pacat records.
	_, basePlay := pacat(b, s, false, pulse.MicSink)
	_, baseRec := pacat(b, s, true, pulse.MicSource)
	baseHeard := clickTimes(baseRec)
	baseAsk, baseSent := feeder(ctx, basePlay)
	time.Sleep(clickGap)

	var total, base time.Duration
	b.ResetTimer()
	for range b.N {
		ask <- struct{}{}
		t0 := <-sent
		total += waitClick(b, heard, "the speaker's monitor").Sub(t0)
		baseAsk <- struct{}{}
		t1 := <-baseSent
		base += waitClick(b, baseHeard, "the baseline monitor").Sub(t1)
		time.Sleep(clickGap)
	}
	b.StopTimer()
	reportLatency(b, total, base)
	if st := d.Playback().Stats(); st.Underruns+st.Overruns > 0 {
		b.Logf("playout: %+v", st)
	}
}
