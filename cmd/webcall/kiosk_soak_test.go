//go:build !noportaudio

package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/internal/testagent"
)

// KioskSoakEnv turns the kiosk's soak on, with the number of calls (make
// soak-kiosk sets 200). It takes minutes, so make test leaves it out.
const KioskSoakEnv = "WEBCALL_KIOSK_SOAK"

// Kiosk soak bounds: what a leak of one call's room, peer connections,
// device streams and files would cost many times over, with the slack the
// runtime and the allocator need.
const (
	kioskSoakWarmup         = 10
	kioskSoakGoroutineSlack = 3
	kioskSoakFDSlack        = 3
	kioskSoakRSSSlack       = 32 << 20
)

// TestKioskSoak is a kiosk's weeks compressed: `webcall kiosk
// --always-on` (built without -race, whose shadow memory would swamp the
// RSS) on PulseAudio's virtual devices, each call capped at 1.5 s and the
// next one started at once, until it has made WEBCALL_KIOSK_SOAK calls,
// its files pruned to the last 20 calls as it goes. The goroutines, open
// files and RSS it reports on /metrics after the warm-up are the baseline;
// after the last call they must be back to it.
func TestKioskSoak(t *testing.T) {
	calls, _ := strconv.Atoi(os.Getenv(KioskSoakEnv))
	if calls <= 0 {
		t.Skipf("set %s=N to make N calls in one kiosk (make soak-kiosk makes 200)", KioskSoakEnv)
	}
	bin := filepath.Join(t.TempDir(), "webcall")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build webcall: %v\n%s", err, out)
	}
	e := startE2E(t, testagent.Options{})
	s := pulse.Start(t)
	te := newTokenEndpoint(t, e.srv, e.name, "soak-backend-key")
	headers := filepath.Join(t.TempDir(), "headers")
	if err := os.WriteFile(headers, []byte("Authorization: Bearer soak-backend-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	saved := webcallBin
	webcallBin = bin
	k := startKiosk(t, s, []string{"PATH=" + os.Getenv("PATH")},
		"--token-endpoint", te.URL, "-H", "@"+headers,
		"--always-on", "--pause", "0s", "--max-duration", "1500ms", "--keep-calls", "20")
	webcallBin = saved

	ended := func() float64 { return k.metric(t, `webcall_kiosk_calls_ended_total{reason="max_duration"}`) }
	waitCalls := func(n int) {
		k.waitFor(t, fmt.Sprintf("%d calls", n), time.Duration(n)*10*time.Second+time.Minute, func() bool { return ended() >= float64(n) })
	}
	type sample struct {
		calls                int
		goroutines, fds, rss float64
	}
	take := func() sample {
		return sample{int(ended()), k.metric(t, "go_goroutines"), k.metric(t, "process_open_fds"), k.metric(t, "process_resident_memory_bytes")}
	}
	waitCalls(kioskSoakWarmup)
	began := time.Now()
	base := take()
	samples := []sample{base}
	every := max(calls/10, 1)
	for n := every; n < calls; n += every {
		waitCalls(kioskSoakWarmup + n)
		samples = append(samples, take())
	}
	waitCalls(kioskSoakWarmup + calls)
	wall := time.Since(began)
	// Between calls: stop it idle, so the last call's streams have closed.
	if _, code := k.do(t, http.MethodPost, "/hangup"); code != http.StatusOK && code != http.StatusConflict {
		t.Fatalf("POST /hangup: %d", code)
	}
	after := take()
	samples = append(samples, after)

	var b strings.Builder
	fmt.Fprintf(&b, "%8s %11s %9s %9s\n", "calls", "goroutines", "open fds", "RSS")
	for _, s := range samples {
		fmt.Fprintf(&b, "%8d %11.0f %9.0f %6.1f MiB\n", s.calls, s.goroutines, s.fds, s.rss/(1<<20))
	}
	failed := k.metric(t, `webcall_kiosk_calls_ended_total{reason="failed"}`)
	t.Logf("%d calls in %s (%.1f s a call), %v failed on the way\n%s", calls, wall.Round(time.Second), wall.Seconds()/float64(calls), failed, b.String())
	if after.goroutines-base.goroutines > kioskSoakGoroutineSlack {
		t.Errorf("goroutines: %.0f after, %.0f at the baseline", after.goroutines, base.goroutines)
	}
	if after.fds-base.fds > kioskSoakFDSlack {
		t.Errorf("open files: %.0f after, %.0f at the baseline", after.fds, base.fds)
	}
	if after.rss-base.rss > kioskSoakRSSSlack {
		t.Errorf("RSS: %.1f MiB after, %.1f MiB at the baseline", after.rss/(1<<20), base.rss/(1<<20))
	}
	if kept, _ := filepath.Glob(filepath.Join(k.dir, "*.json")); len(kept) > 20 {
		t.Errorf("%d calls' files kept, want at most 20", len(kept))
	}
}
