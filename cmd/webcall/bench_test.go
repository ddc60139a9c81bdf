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

// BenchmarkCall makes whole scripted calls against the local server and
// the test agent, and reports what one call costs the webcall process:
// CPU as a percentage of one core over the call's wall time, peak memory
// (max RSS), time to join, time to the agent's first audio, and the reply
// latency webcall measured.
//
//	go test -run '^$' -bench BenchmarkCall -benchtime 3x ./cmd/webcall
func BenchmarkCall(b *testing.B) {
	e := startE2ETB(b, testagent.Options{})
	bin := plainWebcall(b)
	var cpu, rss, connect, firstAudio, latency, wall float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.CommandContext(context.Background(), bin, "call",
			"--url", e.srv.URL, "--api-key", e.srv.APIKey, "--agent-name", e.name,
			"--input", repoFile("audio", "hello.wav"), "--format", "json", "--max-duration", "60s")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LIVEKIT_API_SECRET=" + e.srv.APISecret}
		var out bytes.Buffer
		cmd.Stdout = &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("call: %v", err)
		}
		elapsed := time.Since(start)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		cpu += 100 * used.Seconds() / elapsed.Seconds()
		rss += float64(ru.Maxrss) / 1024 // Linux reports KiB
		wall += elapsed.Seconds()
		for _, ev := range parseEvents(b, out.String()) {
			switch ev.Type {
			case event.Connected:
				connect += float64(ev.TimeMS)
			case event.Stats:
				firstAudio += float64(ev.Stats.FirstAgentAudio)
				latency += float64(ev.Stats.ReplyLatencyMS)
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(cpu/n, "cpu%")
	b.ReportMetric(rss/n, "maxrss-MB")
	b.ReportMetric(connect/n, "connect-ms")
	b.ReportMetric(firstAudio/n, "first-agent-audio-ms")
	b.ReportMetric(latency/n, "reply-latency-ms")
	b.ReportMetric(wall/n, "call-s")
}
