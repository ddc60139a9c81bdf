//go:build !noportaudio

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/kiosk"
)

// kioskProc is a `webcall kiosk` process on the virtual devices, and its
// control API.
type kioskProc struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	dir    string // --files-dir
	stderr *lockedBuffer
	exited chan struct{}
	err    error
	// client and token, when set, are how requests reach the API (from
	// inside a network namespace) and the bearer token they carry.
	client *http.Client
	token  string
}

// freeAddr is a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startKiosk runs the kiosk with s's devices, its files in a temporary
// directory, and args, and waits until its API answers.
func startKiosk(t *testing.T, s *pulse.Server, env []string, args ...string) *kioskProc {
	t.Helper()
	addr := freeAddr(t)
	k := &kioskProc{base: "http://" + addr, dir: filepath.Join(t.TempDir(), "calls"), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	all := append([]string{"kiosk", "--listen", addr, "--files-dir", k.dir, "--transcript-format", "json,txt", "--record",
		"--input-device", pulse.ALSAMic, "--output-device", pulse.ALSASpeaker, "--log-format", "json"}, args...)
	k.cmd = execCommand(context.Background(), webcallBin, all...)
	k.cmd.Env = append(append(k.cmd.Env, env...), s.Env()...)
	k.start(t)
	return k
}

// start starts k.cmd, with its stderr kept, and waits until its API
// answers; the test's end kills it and, if the test failed, prints its log.
func (k *kioskProc) start(t *testing.T) {
	t.Helper()
	k.cmd.Stderr = k.stderr
	if err := k.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { k.err = k.cmd.Wait(); close(k.exited) }()
	t.Cleanup(func() {
		k.cmd.Process.Kill()
		<-k.exited
		if t.Failed() {
			t.Logf("the kiosk's log:\n%s", lastLines(k.stderr.String(), 60))
		}
	})
	k.waitFor(t, "the control API", 20*time.Second, func() bool {
		_, code := k.get(t, "/healthz")
		return code == http.StatusOK
	})
}

// do sends a request to the API and returns the body and status (0 when
// the kiosk does not answer).
func (k *kioskProc) do(t *testing.T, method, path string) (string, int) {
	t.Helper()
	req, err := http.NewRequest(method, k.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.token != "" {
		req.Header.Set("Authorization", "Bearer "+k.token)
	}
	c := k.client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err.Error(), 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

func (k *kioskProc) get(t *testing.T, path string) (string, int) {
	return k.do(t, http.MethodGet, path)
}

func (k *kioskProc) status(t *testing.T) kiosk.Status {
	t.Helper()
	body, code := k.get(t, "/status")
	var s kiosk.Status
	if code != http.StatusOK || json.Unmarshal([]byte(body), &s) != nil {
		t.Fatalf("GET /status: %d %s", code, body)
	}
	return s
}

func (k *kioskProc) waitFor(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		select {
		case <-k.exited:
			t.Fatalf("the kiosk exited (%v) while waiting for %s", k.err, what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s; status: %s", what, within, func() string { b, _ := k.get(t, "/status"); return b }())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (k *kioskProc) waitState(t *testing.T, st kiosk.State, within time.Duration) {
	t.Helper()
	k.waitFor(t, "state "+string(st), within, func() bool { return k.status(t).State == st })
}

// metric returns the value of the metric line that starts with name
// (labels included), from /metrics.
func (k *kioskProc) metric(t *testing.T, name string) float64 {
	t.Helper()
	body, code := k.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("metric %s: %q", name, rest)
			}
			return v
		}
	}
	t.Fatalf("no metric %s in /metrics:\n%s", name, body)
	return 0
}

// talk starts a call through the API, speaks into the microphone once the
// agent hears it, waits for the reply and hangs up; it returns the call.
func (k *kioskProc) talk(t *testing.T, s *pulse.Server, f *facts) kiosk.CallStatus {
	t.Helper()
	body, code := k.do(t, http.MethodPost, "/call")
	if code != http.StatusAccepted && code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("POST /call: %d %s", code, body)
	}
	room := k.waitHeard(t, f)
	sayIntoMic(t, s, "hello.wav")
	k.waitFor(t, "the agent's reply", 30*time.Second, func() bool { return f.inRoom(testagent.FactReplyStopped, room) > 0 })
	body, code = k.do(t, http.MethodPost, "/hangup")
	var cs kiosk.CallStatus
	if code != http.StatusOK || json.Unmarshal([]byte(body), &cs) != nil {
		t.Fatalf("POST /hangup: %d %s", code, body)
	}
	k.checkFiles(t, cs, true)
	return cs
}

// waitHeard waits for the running call (retried, perhaps, in another room
// if it could not start) to have the agent hear its microphone, and
// returns the call's room.
func (k *kioskProc) waitHeard(t *testing.T, f *facts) string {
	t.Helper()
	room := ""
	k.waitFor(t, "the agent to hear the microphone", 60*time.Second, func() bool {
		if s := k.status(t); s.Call != nil && s.Call.Room != "" {
			room = s.Call.Room
			return f.inRoom(testagent.FactUserTrack, room) > 0
		}
		return false
	})
	return room
}

// checkFiles checks a call's transcript (the user's words as the agent
// heard them, and its reply, when replied) and its recording.
func (k *kioskProc) checkFiles(t *testing.T, cs kiosk.CallStatus, replied bool) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(k.dir, "*-"+cs.ID+".json"))
	if len(matches) != 1 {
		entries, _ := os.ReadDir(k.dir)
		t.Fatalf("transcript of call %s: %v (the directory holds %v)", cs.ID, matches, entries)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Segments []struct{ Speaker, Text string } `json:"segments"`
		End      struct{ Reason, Outcome string } `json:"end"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s is not JSON: %v", matches[0], err)
	}
	var said []string
	for _, s := range doc.Segments {
		said = append(said, s.Speaker+": "+s.Text)
	}
	if replied && (!strings.Contains(strings.Join(said, "\n"), "user: "+heard) || !strings.Contains(strings.Join(said, "\n"), "agent: "+replyText)) {
		t.Errorf("call %s's transcript holds %q", cs.ID, said)
	}
	if doc.End.Outcome != "completed" {
		t.Errorf("call %s ended %+v", cs.ID, doc.End)
	}
	wav := strings.TrimSuffix(matches[0], ".json") + ".wav"
	clip, err := audio.LoadFile(wav)
	if err != nil || clip.Duration() == 0 || (replied && clip.Duration() < 3*time.Second) {
		t.Errorf("call %s's recording: %v", cs.ID, err)
	} else {
		t.Logf("call %s: recording of %s", cs.ID, clip.Duration().Round(10*time.Millisecond))
	}
}

func (f *facts) inRoom(kind, room string) int {
	n := 0
	for _, x := range f.ofKind(kind) {
		if x.Room == room {
			n++
		}
	}
	return n
}

// The kiosk as it is meant to run, on PulseAudio's virtual devices with a
// token endpoint: three calls through the control API, each heard and
// answered, with /readyz and /metrics saying so; the server killed and
// started again between calls, and the next call works; the microphone
// unplugged while idle (its PulseAudio module unloaded), the kiosk waiting
// for it and not ready, then plugged in again, and the next call works;
// SIGTERM during a call hangs up and leaves its files complete.
func TestKioskEndToEnd(t *testing.T) {
	f := &facts{}
	// The server is restarted during the test: the waiter of its new
	// process ends when the server's cleanup stops it, after the check.
	e := startE2E(t, testagent.Options{OnFact: f.add}, ignoringLeaks(leaktest.Ignore("webcall/internal/proc.StartProcess.func1")))
	s := pulse.Start(t)
	te := newTokenEndpoint(t, e.srv, e.name, "kiosk-backend-key")
	headers := filepath.Join(t.TempDir(), "headers")
	if err := os.WriteFile(headers, []byte("Authorization: Bearer kiosk-backend-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// systemd's side: the socket it would pass in NOTIFY_SOCKET, and a
	// watchdog of 1 s, so the kiosk pings every half second.
	notify := listenNotify(t)
	k := startKiosk(t, s, []string{"PATH=" + os.Getenv("PATH"), "NOTIFY_SOCKET=" + notify.path, "WATCHDOG_USEC=1000000"},
		"--token-endpoint", te.URL, "-H", "@"+headers, "--device-check", "300ms")
	k.waitFor(t, "ready", 20*time.Second, func() bool { _, c := k.get(t, "/readyz"); return c == http.StatusOK })
	for range 3 {
		k.talk(t, s, f)
	}
	if v := k.metric(t, `webcall_kiosk_calls_started_total{trigger="api"}`); v != 3 {
		t.Errorf("calls started by the API: %v, want 3", v)
	}
	if v := k.metric(t, `webcall_kiosk_calls_ended_total{reason="hangup"}`); v != 3 {
		t.Errorf("calls hung up: %v, want 3", v)
	}

	// The server goes away and comes back while the kiosk is idle.
	if err := e.srv.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	k.talk(t, s, f)

	// The microphone is unplugged, and plugged in again, while idle.
	replug, err := s.UnplugMic()
	if err != nil {
		t.Fatal(err)
	}
	k.waitState(t, kiosk.StateWaitingForDevices, 20*time.Second)
	if body, code := k.get(t, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "sound devices") {
		t.Errorf("/readyz without a microphone: %d %s", code, body)
	}
	if body, code := k.do(t, http.MethodPost, "/call"); code != http.StatusServiceUnavailable {
		t.Errorf("POST /call without a microphone: %d %s", code, body)
	}
	if err := replug(); err != nil {
		t.Fatal(err)
	}
	k.waitState(t, kiosk.StateIdle, 20*time.Second)
	k.talk(t, s, f)
	if v := k.metric(t, "webcall_kiosk_device_restarts_total"); v < 1 {
		t.Errorf("device restarts: %v, want at least 1", v)
	}

	// SIGTERM mid-call: hung up, files complete, exit 0.
	if _, code := k.do(t, http.MethodPost, "/call"); code >= 300 {
		t.Fatalf("POST /call: %d", code)
	}
	k.waitHeard(t, f)
	cs := *k.status(t).Call
	if err := k.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-k.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("the kiosk still runs 20s after SIGTERM")
	}
	if k.err != nil {
		t.Errorf("the kiosk's exit after SIGTERM: %v, want 0", k.err)
	}
	k.checkFiles(t, cs, false)
	notify.check(t)
	log := k.stderr.String()
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("a log line that is not JSON: %q", line)
			break
		}
	}
	if strings.Contains(log, "kiosk-backend-key") {
		t.Error("the token endpoint's key is in the kiosk's log")
	}
}

// notifySocket is the service manager's end of sd_notify: a datagram
// socket that keeps every message the kiosk sends, with its arrival.
type notifySocket struct {
	path string
	conn *net.UnixConn
	mu   sync.Mutex
	msgs []string
	at   []time.Time
	done chan struct{}
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	n := &notifySocket{path: filepath.Join(t.TempDir(), "notify.sock"), done: make(chan struct{})}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n.conn = conn
	go func() {
		defer close(n.done)
		buf := make([]byte, 4096)
		for {
			m, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:m]))
			n.at = append(n.at, time.Now())
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close(); <-n.done })
	return n
}

// check holds the kiosk to the protocol: READY=1 once, after which the
// watchdog is pinged about every half second for the whole run, and
// STOPPING=1 last but for the status lines it sends on the way out.
func (n *notifySocket) check(t *testing.T) {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	count := map[string]int{}
	var pings []time.Time
	ready, stopping := -1, -1
	for i, m := range n.msgs {
		count[m]++
		switch {
		case m == "READY=1" && ready < 0:
			ready = i
		case m == "STOPPING=1":
			stopping = i
		case m == "WATCHDOG=1":
			pings = append(pings, n.at[i])
		}
	}
	if count["READY=1"] != 1 || count["STOPPING=1"] != 1 || ready < 0 || stopping < ready {
		t.Errorf("READY=1 %d times, STOPPING=1 %d times (at %d, READY at %d); messages: %q", count["READY=1"], count["STOPPING=1"], stopping, ready, n.msgs)
	}
	if len(pings) < 2 {
		t.Fatalf("%d watchdog pings", len(pings))
	}
	longest := time.Duration(0)
	for i := 1; i < len(pings); i++ {
		longest = max(longest, pings[i].Sub(pings[i-1]))
	}
	// systemd would restart a kiosk silent for WATCHDOG_USEC (1 s).
	if longest >= time.Second {
		t.Errorf("the watchdog went %s without a ping (its limit is 1s)", longest)
	}
	t.Logf("sd_notify: %d messages, %d watchdog pings over %s, longest gap %s", len(n.msgs), len(pings), pings[len(pings)-1].Sub(pings[0]).Round(time.Second), longest.Round(time.Millisecond))
}
