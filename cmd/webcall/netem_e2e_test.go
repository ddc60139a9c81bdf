package main

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/netem"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
)

// netemSeed fixes the relay's random choices, so that a failing run of
// the impaired calls can be repeated datagram for datagram.
const netemSeed = 10

// startLink puts a client network in front of the test's server: webcall
// runs in a namespace of its own, and reaches the server only through the
// relays of internal/netem.
func (e *e2e) startLink(t *testing.T) *netem.Link {
	t.Helper()
	c := e.srv.Config
	return netem.StartLink(t, netem.Ports{HTTP: c.Port, ICETCP: c.TCPPort, ICEUDP: c.UDPPort}, netemSeed)
}

// callVia runs a scripted call (hello.wav) of the webcall binary inside
// the link's namespace.
func (e *e2e) callVia(t *testing.T, l *netem.Link, args ...string) result {
	t.Helper()
	return e.callViaEnv(t, l, nil, args...)
}

// callViaEnv is callVia with more environment variables.
func (e *e2e) callViaEnv(t *testing.T, l *netem.Link, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cmd := l.NS.Command(ctx, webcallBin, e.fileCallArgs(args...)...)
	cmd.Env = append([]string{"PATH=" + "/usr/bin:/bin", "HOME=" + t.TempDir(), "LIVEKIT_API_SECRET=" + e.srv.APISecret}, env...)
	return runCmd(t, cmd)
}

// impaired is the path of the loss test, each way: the 5 % loss,
// 100 ms delay with 30 ms jitter, and 2 % of datagrams held back two
// packets' time on top.
var impaired = netem.Impairment{Loss: 0.05, Delay: 100 * time.Millisecond, Jitter: 30 * time.Millisecond, Reorder: 0.02}

// TestCallOverALossyNetwork: a scripted call over a lossy, delayed,
// jittery path completes, with both sides' captions, a recording without
// gaps that the loss does not explain, and a reply latency that grows by
// what the path adds. A baseline call through the same harness without
// impairment runs at the same time (on a link of its own), so that both
// see the same load on the machine.
func TestCallOverALossyNetwork(t *testing.T) {
	e := startE2E(t, testagent.Options{})
	clean, lossy := e.startLink(t), e.startLink(t)
	lossy.UDP.SetImpairment(impaired, impaired)

	type run struct {
		name string
		link *netem.Link
		rec  string
		r    result
	}
	runs := []*run{{name: "clean", link: clean}, {name: "lossy", link: lossy}}
	var wg sync.WaitGroup
	for _, c := range runs {
		c.rec = filepath.Join(t.TempDir(), c.name+".wav")
		wg.Add(1)
		go func() {
			defer wg.Done()
			// -vv for the SDK's log, where the receive path reports
			// what it made up for.
			c.r = e.callVia(t, c.link, "--format", "json", "--record", c.rec, "-vv")
		}()
	}
	wg.Wait()

	reply, err := audio.LoadFile(repoFile("audio", "reply.wav"))
	if err != nil {
		t.Fatal(err)
	}
	replySent := reply.Duration()
	type figures struct {
		stats   *event.CallStats
		gap     time.Duration
		speech  time.Duration
		dropped int64
	}
	fig := map[string]figures{}
	for _, c := range runs {
		t.Logf("%s call: exit %d in %s; %s; %s", c.name, c.r.code, c.r.elapsed.Round(time.Millisecond), c.link.Summary(), receivedLine(c.r.stderr))
		if c.r.code != 0 {
			t.Errorf("%s call: exit code %d\nstderr:\n%s\nstdout:\n%s", c.name, c.r.code, c.r.stderr, c.r.stdout)
			continue
		}
		evs := parseEvents(t, c.r.stdout)
		checkOneTurn(t, evs)
		var f figures
		for _, ev := range evs {
			if ev.Type == event.Stats {
				f.stats = ev.Stats
			}
		}
		if f.stats == nil {
			t.Fatalf("%s call: no stats event", c.name)
		}
		f.gap, f.speech = agentGaps(t, c.rec)
		f.dropped = c.link.UDP.Down().Dropped
		fig[c.name] = f
		agentMS := "none"
		if a := f.stats.AgentE2ELatencyMS; a != nil {
			agentMS = strconv.FormatFloat(*a, 'f', 0, 64)
			if float64(f.stats.ReplyLatencyMS) < *a {
				t.Errorf("%s call: webcall's reply latency %d ms is below the agent's own %s ms", c.name, f.stats.ReplyLatencyMS, agentMS)
			}
		}
		t.Logf("%s call: reply latency %d ms (agent %s ms); agent audio received %d ms of %s sent; in the recording %s of the agent's reply, longest silence inside it %s",
			c.name, f.stats.ReplyLatencyMS, agentMS, f.stats.ReceivedMS, replySent.Round(time.Millisecond), f.speech, f.gap)
	}
	if t.Failed() {
		return
	}
	base, bad := fig["clean"], fig["lossy"]
	if bad.dropped == 0 || lossy.UDP.Up().Dropped == 0 {
		t.Fatalf("the lossy link dropped nothing: %s", lossy.Summary())
	}
	// The harness itself: each call reached the server only through its
	// link (the namespace has no other way out), media over UDP.
	for _, l := range []*netem.Link{clean, lossy} {
		if up, down := l.UDP.Up(), l.UDP.Down(); l.HTTP.Accepted() == 0 || up.Out < 100 || down.Out < 100 || l.ICETCP.Accepted() != 0 {
			t.Errorf("the call did not go through the relays as it should: %s", l.Summary())
		}
	}
	if clean.UDP.Up().Dropped+clean.UDP.Down().Dropped != 0 {
		t.Errorf("the clean link dropped datagrams: %s", clean.Summary())
	}
	// The path adds 2 x 100 ms of delay and the receivers' reordering
	// waits; anything far past that is webcall's doing.
	delta := time.Duration(bad.stats.ReplyLatencyMS-base.stats.ReplyLatencyMS) * time.Millisecond
	t.Logf("reply latency grew by %s over the impaired path", delta)
	if delta < 100*time.Millisecond || delta > 600*time.Millisecond {
		t.Errorf("reply latency grew by %s over a path that adds about 200 ms (clean %d ms, lossy %d ms)",
			delta, base.stats.ReplyLatencyMS, bad.stats.ReplyLatencyMS)
	}
	// What the client and the network add to the agent's own figure
	// (the wait on its side moves with what its speech detector hears):
	// the path's 2 x 100 ms, its jitter, and the reorder waits.
	if base.stats.AgentE2ELatencyMS != nil && bad.stats.AgentE2ELatencyMS != nil {
		added := func(f figures) float64 { return float64(f.stats.ReplyLatencyMS) - *f.stats.AgentE2ELatencyMS }
		grew := time.Duration(added(bad)-added(base)) * time.Millisecond
		t.Logf("beyond the agent's own figure, webcall's reply latency grew by %s", grew)
		if grew < 100*time.Millisecond || grew > 450*time.Millisecond {
			t.Errorf("the network's share of the reply latency grew by %s over a path that adds about 200 ms", grew)
		}
	}
	// A lost packet may leave at most its own 20 ms (and its neighbours',
	// in a burst) plus what jitter starves the recording of.
	maxRun := time.Duration(lossy.UDP.Down().MaxDropRun) * audio.FrameDuration
	if allowed := base.gap + maxRun + 2*impaired.Jitter + 2*audio.FrameDuration; bad.gap > allowed {
		t.Errorf("the lossy call's recording has a %s silence inside the agent's reply; the clean one %s, the loss explains up to %s",
			bad.gap, base.gap, allowed)
	}
	// Lost packets are made up for (FEC, concealment): the agent's audio
	// keeps its length. Without that, 5 % loss takes about 180 ms of the
	// 3.7 s reply.
	if short := base.stats.ReceivedMS - bad.stats.ReceivedMS; short > 60 {
		t.Errorf("the lossy call received %d ms of the agent's audio, the clean one %d ms: lost packets were not made up for",
			bad.stats.ReceivedMS, base.stats.ReceivedMS)
	}
}

// receivedLine is the receive path's report in a call's -vv log.
func receivedLine(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if i := strings.Index(line, "agent audio received"); i >= 0 {
			return strings.ReplaceAll(line[i:], `"`, "")
		}
	}
	return "no receive report"
}

// silencePeak is the loudest sample of a 20 ms frame counted as silence:
// about -50 dBFS, below any speech and above Opus's noise floor.
const silencePeak = 100

// agentGaps reads a --record file's right channel (the agent) and returns
// the longest run of silent 20 ms frames between the first and the last
// frame of the agent's speech, and how long that span is.
func agentGaps(t *testing.T, path string) (longest, span time.Duration) {
	t.Helper()
	right := rightChannel(t, path)
	var frames []bool // true: has sound
	for i := 0; i+audio.FrameSamples <= len(right); i += audio.FrameSamples {
		loud := false
		for _, v := range right[i : i+audio.FrameSamples] {
			if v > silencePeak || v < -silencePeak {
				loud = true
				break
			}
		}
		frames = append(frames, loud)
	}
	first, last := -1, -1
	for i, loud := range frames {
		if loud {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		t.Fatalf("%s: the agent's channel is silent", path)
	}
	run, best := 0, 0
	for _, loud := range frames[first : last+1] {
		if loud {
			run = 0
			continue
		}
		run++
		best = max(best, run)
	}
	return time.Duration(best) * audio.FrameDuration, time.Duration(last-first+1) * audio.FrameDuration
}

// rightChannel returns the right channel of a 16-bit stereo WAV file.
func rightChannel(t *testing.T, path string) []int16 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("%s is not a WAV file", path)
	}
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		p += 8
		if id == "data" {
			data := b[p:min(p+size, len(b))]
			out := make([]int16, len(data)/4)
			for i := range out {
				out[i] = int16(binary.LittleEndian.Uint16(data[4*i+2:]))
			}
			return out
		}
		p += size + size&1
	}
	t.Fatalf("%s has no data chunk", path)
	return nil
}

// turnDomain is the name the test's TURN server has a certificate for;
// inside the client's namespace it is 127.0.0.1.
const turnDomain = "turn.webcall.test"

// TestCallWithUDPBlocked: a network that blocks UDP (the relay drops every
// datagram) still carries the call, over TCP: the server's embedded TURN
// server, which LiveKit deployments offer on TCP port 443 with TLS, relays
// the media. The SDK's WebRTC stack gathers UDP candidates only (pion's
// default, and the SDK offers no setting for it), so ICE-TCP to the
// server's TCP port is not tried; TURN over TLS is the fallback a
// restricted network leaves, and the one this test proves.
func TestCallWithUDPBlocked(t *testing.T) {
	inParallel(t)
	turn := lkserver.NewTURN(t, turnDomain)
	e := startE2E(t, testagent.Options{}, withServer(turn.Option()))
	l := e.startLink(t)
	l.UDP.SetImpairment(netem.Impairment{Block: true}, netem.Impairment{Block: true})
	if err := l.NS.MapHosts(map[string]string{turnDomain: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	tls443 := l.Forward(t, 443, turn.Port)

	r := e.callViaEnv(t, l, []string{"SSL_CERT_FILE=" + turn.CAFile}, "--format", "json")
	t.Logf("call took %s; %s; turn/tls %d B up/%d B down", r.elapsed.Round(time.Millisecond), l.Summary(), tls443.BytesUp(), tls443.BytesDown())
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	checkOneTurn(t, parseEvents(t, r.stdout))
	if up := l.UDP.Up(); up.In == 0 || up.Out != 0 {
		t.Errorf("UDP was not tried, or not blocked: %s", l.Summary())
	}
	// Three seconds of the user's speech are 150 Opus packets of 60-odd
	// bytes each way, wrapped in TURN and TLS.
	if tls443.BytesUp() < 10_000 || tls443.BytesDown() < 10_000 {
		t.Errorf("the media did not go over TURN/TLS: %d B up, %d B down", tls443.BytesUp(), tls443.BytesDown())
	}
	logJoinTime(t, r.stderr)
}

// logJoinTime logs when the call joined and when it started sending, from
// its status lines: how long the fallback took.
func logJoinTime(t *testing.T, stderr string) {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "joined room") || strings.Contains(line, "sending the input") {
			t.Logf("status: %s", strings.TrimSpace(line))
		}
	}
}
