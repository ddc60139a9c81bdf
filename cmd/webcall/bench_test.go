package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/report"
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

// BenchmarkConcurrentCalls runs 1, 10 and 50 scripted calls at once from
// one webcall process (`webcall test --concurrency N`), against the local
// server and the test agent on the same machine, and reports per level:
// CPU per call (percent of one core over the run's wall time, divided by
// the calls), the process's peak RSS, the worst call's send-pacing
// lateness p99, and the reply latency p50 and p99 over all calls. The
// server and the agent share the machine's cores with webcall, as they
// would on a CI runner that hosts both; the pacing figure is what says
// whether webcall still kept time.
//
//	go test -run '^$' -bench BenchmarkConcurrentCalls -benchtime 1x ./cmd/webcall
func BenchmarkConcurrentCalls(b *testing.B) {
	e := startE2ETB(b, testagent.Options{MaxJobs: 64})
	bin := benchWebcall(b)
	dir := b.TempDir()
	hello, err := filepath.Abs(repoFile("audio", "hello.wav"))
	if err != nil {
		b.Fatal(err)
	}
	sc := filepath.Join(dir, "bench.yaml")
	body := "name: bench\ntimeout: 90s\nconnection:\n  url: ${LIVEKIT_URL}\n  api_key: ${LIVEKIT_API_KEY}\n  api_secret: ${LIVEKIT_API_SECRET}\n  agent_name: " + e.name +
		"\nturns:\n  - say: " + hello + "\n"
	if err := os.WriteFile(sc, []byte(body), 0o644); err != nil {
		b.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"LIVEKIT_URL=" + e.srv.URL, "LIVEKIT_API_KEY=" + e.srv.APIKey, "LIVEKIT_API_SECRET=" + e.srv.APISecret}
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			var cpu, rss, pacing, p50, p99 float64
			for i := 0; i < b.N; i++ {
				rep := filepath.Join(dir, fmt.Sprintf("report-%d-%d.json", n, i))
				cmd := exec.Command(bin, "test", sc, "--repeat", strconv.Itoa(n), "--concurrency", strconv.Itoa(n), "--report", rep, "--quiet", "--wait-agent", "60s")
				cmd.Env = env
				var errOut bytes.Buffer
				cmd.Stderr = &errOut
				start := time.Now()
				runErr := cmd.Run()
				elapsed := time.Since(start)
				if cmd.ProcessState == nil || (runErr != nil && cmd.ProcessState.ExitCode() != exitCheck) {
					b.Fatalf("webcall test: %v\n%s", runErr, errOut.String())
				}
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
				cpu += 100 * used.Seconds() / elapsed.Seconds() / float64(n)
				rss += float64(ru.Maxrss) / 1024
				r := readBenchReport(b, rep)
				var lat []int64
				worst := int64(0)
				for _, c := range r.Calls {
					if c.Verdict == report.Error {
						b.Fatalf("call %d could not run: %+v", c.Index, c.Error)
					}
					worst = max(worst, c.Pacing.LateP99US)
					for _, t := range c.Turns {
						if t.Latency.AudioMS != nil {
							lat = append(lat, *t.Latency.AudioMS)
						}
					}
				}
				pacing += float64(worst) / 1000
				p50 += float64(nearestRank(lat, 0.50))
				p99 += float64(nearestRank(lat, 0.99))
			}
			k := float64(b.N)
			b.ReportMetric(cpu/k, "cpu%/call")
			b.ReportMetric(rss/k, "maxrss-MB")
			b.ReportMetric(pacing/k, "pacing-p99-ms")
			b.ReportMetric(p50/k, "latency-p50-ms")
			b.ReportMetric(p99/k, "latency-p99-ms")
		})
	}
}

func readBenchReport(b *testing.B, path string) *report.Report {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(data, &r); err != nil {
		b.Fatal(err)
	}
	return &r
}

// nearestRank is the q-quantile of vs by the nearest-rank method (0 for
// none).
func nearestRank(vs []int64, q float64) int64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
