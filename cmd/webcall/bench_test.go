package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/event"
)

var (
	plainBinOnce sync.Once
	plainBin     string
	plainBinErr  error
)

// plainWebcall builds webcall without -race, as users run it: resource
// figures of a race-instrumented binary would mean nothing.
func plainWebcall(b *testing.B) string {
	plainBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "webcall-bench-bin-")
		if err != nil {
			plainBinErr = err
			return
		}
		plainBin = filepath.Join(dir, "webcall")
		cmd := exec.Command("go", "build", "-o", plainBin, ".")
		cmd.Stderr = os.Stderr
		plainBinErr = cmd.Run()
	})
	if plainBinErr != nil {
		b.Fatalf("build webcall: %v", plainBinErr)
	}
	return plainBin
}

// benchWebcall is the binary the call benchmarks measure: WEBCALL_BENCH_BIN
// if set (another build, to compare with the same benchmark), else this
// tree's, built without -race.
func benchWebcall(b *testing.B) string {
	if bin := os.Getenv("WEBCALL_BENCH_BIN"); bin != "" {
		return bin
	}
	return plainWebcall(b)
}

// callCost adds up what calls cost the webcall process, for ReportMetric.
type callCost struct {
	n                                            int
	cpu, rss, connect, firstAudio, latency, wall float64
}

// run makes one call with args and env and adds what it cost. during, if
// not nil, runs on its own goroutine once the process has started (to
// speak into a microphone); run waits for it.
func (c *callCost) run(b *testing.B, bin string, env []string, during func(), args ...string) {
	b.Helper()
	cmd := exec.CommandContext(context.Background(), bin, append([]string{"call", "--format", "json"}, args...)...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if during != nil {
			during()
		}
	}()
	err := cmd.Wait()
	elapsed := time.Since(start)
	<-done
	if err != nil {
		b.Fatalf("call: %v\n%s", err, errOut.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	c.n++
	c.cpu += 100 * used.Seconds() / elapsed.Seconds()
	c.rss += float64(ru.Maxrss) / 1024 // Linux reports KiB
	c.wall += elapsed.Seconds()
	for _, ev := range parseEvents(b, out.String()) {
		switch ev.Type {
		case event.Connected:
			c.connect += float64(ev.TimeMS)
		case event.Stats:
			c.firstAudio += float64(ev.Stats.FirstAgentAudio)
			c.latency += float64(ev.Stats.ReplyLatencyMS)
		}
	}
}

func (c *callCost) report(b *testing.B) {
	n := float64(c.n)
	b.ReportMetric(c.cpu/n, "cpu%")
	b.ReportMetric(c.rss/n, "maxrss-MB")
	b.ReportMetric(c.connect/n, "connect-ms")
	b.ReportMetric(c.firstAudio/n, "first-agent-audio-ms")
	b.ReportMetric(c.latency/n, "reply-latency-ms")
	b.ReportMetric(c.wall/n, "call-s")
}

// BenchmarkCall makes whole scripted calls against the local server and
// the test agent, and reports what one call costs the webcall process:
// CPU as a percentage of one core over the call's wall time, peak memory
// (max RSS), time to join, time to the agent's first audio, and the reply
// latency webcall measured.
//
//	go test -run '^$' -bench BenchmarkCall -benchtime 3x ./cmd/webcall
func BenchmarkCall(b *testing.B) {
	e := startE2ETB(b, testagent.Options{})
	bin := benchWebcall(b)
	env := []string{"PATH=" + os.Getenv("PATH"), "LIVEKIT_API_SECRET=" + e.srv.APISecret}
	var cost callCost
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cost.run(b, bin, env, nil, "--url", e.srv.URL, "--api-key", e.srv.APIKey, "--agent-name", e.name,
			"--input", repoFile("audio", "hello.wav"), "--max-duration", "60s")
	}
	cost.report(b)
}
