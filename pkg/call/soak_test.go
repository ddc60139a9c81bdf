package call_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/token"
)

// SoakEnv names the environment variable that turns the soak on, with the
// number of cycles (`make soak` sets 1000). The soak takes many minutes,
// so `make test` leaves it out.
const SoakEnv = "WEBCALL_SOAK"

// Soak bounds. A cycle's goroutines and descriptors are either all given
// back or leaked: the slack only covers what the runtime and net/http
// keep for a moment after a settle (a timer goroutine, an idle
// connection). RSS and heap move with the allocator, so their bounds are
// wide enough for that and far below what a leak of a cycle's room, peer
// connections and buffers (about 1 MB each, so 1 GB over 1,000) would
// cost.
const (
	soakWarmup         = 20
	soakGoroutineSlack = 2
	soakFDSlack        = 2
	soakRSSSlack       = 20 << 20
	soakHeapSlack      = 8 << 20
	soakSettle         = 10 * time.Second
	soakCallLimit      = 15 * time.Second
)

// TestSoak is a kiosk's life in one process: join a room, publish the
// microphone, hear the agent's greeting, hang up, WEBCALL_SOAK times over,
// against the local server and the test agent, through call.Run as
// webcall call does (the agent runs in the process too, and is counted). After a warm-up
// (the SDK's and net/http's process-wide state), the goroutines, open
// file descriptors, RSS and Go heap must come back to that baseline.
func TestSoak(t *testing.T) {
	cycles, _ := strconv.Atoi(os.Getenv(SoakEnv))
	if cycles <= 0 {
		t.Skipf("set %s=N to run N join/leave cycles (make soak runs 1000)", SoakEnv)
	}
	lksdk.SetLogger(protologger.GetDiscardLogger())
	srv := lkserver.Start(t)
	t.Cleanup(leaktest.Check(t))
	// The agent greets with half a second of speech as soon as it hears
	// the microphone: each cycle then also subscribes to a track, decodes
	// it and reads a caption stream, as a kiosk's calls do.
	greet := soakGreeting(t)
	agent, err := testagent.Start(context.Background(), testagent.Options{
		URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret, AgentName: "soak-agent",
		GreetWAV: greet, GreetText: "Hi.", ReplyWAV: greet, InterruptAfter: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Close() })
	src := token.Minted{URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret, AgentName: "soak-agent"}

	var durations []time.Duration
	oneCycle := func(i int) {
		t.Helper()
		start := time.Now()
		// The user hangs up once the greeting's caption is final.
		ctx, hangUp := context.WithCancel(context.Background())
		defer hangUp()
		greeted := false
		_, err := call.Run(ctx, call.Options{
			Credentials: src,
			Input:       audio.Paced(audio.Silence(0)),
			Timing:      call.Timing{MaxDuration: soakCallLimit},
			Events: func(e event.Event) {
				if e.Type == event.Transcript && e.Speaker == event.SpeakerAgent && e.Final != nil && *e.Final {
					greeted = true
					hangUp()
				}
			},
		})
		if failure.KindOf(err) != failure.Interrupted || !greeted {
			t.Fatalf("cycle %d: greeted %v, ended with %v; want a hang-up after the greeting", i, greeted, err)
		}
		durations = append(durations, time.Since(start))
	}

	for i := range soakWarmup {
		oneCycle(i)
	}
	base := quiesce(soakSettle)
	samples := []soakSample{base}
	began := time.Now()
	every := max(cycles/10, 1)
	for i := range cycles {
		oneCycle(soakWarmup + i)
		if (i+1)%every == 0 && i+1 < cycles {
			s := sample()
			s.cycles = i + 1
			samples = append(samples, s)
		}
	}
	wall := time.Since(began)
	after := settle(t, base, soakSettle)
	after.cycles = cycles
	samples = append(samples, after)

	t.Logf("%d cycles of join, publish, the agent's greeting, hang up in %s: %.2f cycles/s, %s per cycle (p50 %s, max %s)",
		cycles, wall.Round(time.Second), float64(cycles)/wall.Seconds(),
		(wall / time.Duration(cycles)).Round(time.Millisecond), quantile(durations, 0.5), quantile(durations, 1))
	t.Logf("\n%s", soakTable(samples))

	if d := after.goroutines - base.goroutines; d > soakGoroutineSlack {
		t.Errorf("goroutines: %d after, %d at baseline (+%d)\n%s", after.goroutines, base.goroutines, d, goroutineDump())
	}
	if d := after.fds - base.fds; d > soakFDSlack {
		t.Errorf("open file descriptors: %d after, %d at baseline (+%d)\n%s", after.fds, base.fds, d, fdList())
	}
	if d := int64(after.rss) - int64(base.rss); d > soakRSSSlack {
		t.Errorf("RSS: %s after, %s at baseline (+%s)", mib(after.rss), mib(base.rss), mib(uint64(d)))
	}
	if d := int64(after.heap) - int64(base.heap); d > soakHeapSlack {
		t.Errorf("Go heap: %s after, %s at baseline (+%s)", mib(after.heap), mib(base.heap), mib(uint64(d)))
	}
}

// soakSample is what the process holds at one moment.
type soakSample struct {
	cycles     int
	goroutines int
	fds        int
	rss        uint64 // bytes
	heap       uint64 // bytes in use after a GC
}

func sample() soakSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return soakSample{goroutines: runtime.NumGoroutine(), fds: openFDs(), rss: vmRSS(), heap: ms.HeapAlloc}
}

// quiesce samples until the goroutines and descriptors have not changed
// for a second (the last cycle's peer connections and the agent's
// session have closed), or for at most d, and returns the last sample:
// a baseline taken while they close would hide a leak of that size.
func quiesce(d time.Duration) soakSample {
	deadline := time.Now().Add(d)
	last, still := sample(), 0
	for still < 10 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		s := sample()
		if s.goroutines == last.goroutines && s.fds == last.fds {
			still++
		} else {
			still = 0
		}
		last = s
	}
	return last
}

// settle samples until the goroutines and descriptors are back to base
// (what a closed peer connection ends a moment after Close), or for at
// most d; the last sample counts.
func settle(t *testing.T, base soakSample, d time.Duration) soakSample {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := sample()
		if (s.goroutines <= base.goroutines && s.fds <= base.fds) || time.Now().After(deadline) {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents) - 1 // ReadDir's own descriptor
}

// vmRSS is the process's resident set, from /proc/self/status.
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func soakTable(samples []soakSample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %10s %8s %10s %10s\n", "cycles", "goroutines", "open fds", "RSS", "Go heap")
	for i, s := range samples {
		label := strconv.Itoa(s.cycles)
		if i == 0 {
			label = "baseline"
		}
		fmt.Fprintf(&b, "%-10s %10d %8d %10s %10s\n", label, s.goroutines, s.fds, mib(s.rss), mib(s.heap))
	}
	return b.String()
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))].Round(time.Millisecond)
}

func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

func fdList() string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var b strings.Builder
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		fmt.Fprintf(&b, "%s -> %s\n", e.Name(), target)
	}
	return b.String()
}

// soakGreeting writes the first half second of reply.wav to a file of the
// test's, for the agent's greeting.
func soakGreeting(t *testing.T) string {
	t.Helper()
	clip, err := audio.LoadFile(testdata("reply.wav"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "greet.wav")
	w, err := audio.CreateWAV(path, audio.SampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(clip.Samples[:min(len(clip.Samples), audio.SampleRate/2)]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
