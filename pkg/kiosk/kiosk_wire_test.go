package kiosk

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/archive"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/token"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

func testdata(name string) string { return filepath.Join("..", "..", "testdata", "audio", name) }

const (
	heardText = "Hello, I would like to book a table for two."
	replyText = "Sure, I can help you with that."
)

// calls collects the events of every call, by call id.
type calls struct {
	mu  sync.Mutex
	evs map[string][]event.Event
}

func (c *calls) add(id string, e event.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.evs == nil {
		c.evs = map[string][]event.Event{}
	}
	c.evs[id] = append(c.evs[id], e)
}

// finals returns the final captions of a speaker in call id.
func (c *calls) finals(id, speaker string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.evs[id] {
		if e.Type == event.Transcript && e.Speaker == speaker && e.Final != nil && *e.Final {
			out = append(out, e.Text)
		}
	}
	return out
}

type wired struct {
	srv   *lkserver.Server
	k     *Kiosk
	stop  func()
	devs  *fakeDevices
	calls *calls
	dir   string
}

// startWired runs a kiosk against the local server and the test agent,
// with fake devices whose microphone says hello.wav once per call.
func startWired(t *testing.T, o Options) *wired {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local LiveKit server")
	}
	lksdk.SetLogger(protologger.GetDiscardLogger())
	// First, so that it runs last: after the agent and the server, whose
	// goroutines (a worker that found the restarted server again) end
	// with them.
	t.Cleanup(leaktest.Check(t))
	srv := lkserver.Start(t)
	agent, err := testagent.Start(context.Background(), testagent.Options{
		URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret, AgentName: "kiosk-agent",
		Heard: []string{heardText}, ReplyWAV: testdata("reply.wav"), ReplyText: replyText, InterruptAfter: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Close() })
	clip, err := audio.LoadFile(testdata("hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	w := &wired{srv: srv, devs: &fakeDevices{say: clip.Samples}, calls: &calls{}, dir: t.TempDir()}
	o.Credentials = token.Minted{URL: srv.URL, APIKey: srv.APIKey, APISecret: srv.APISecret, AgentName: "kiosk-agent"}
	o.Devices = w.devs
	o.Events = w.calls.add
	o.Files = Files{Dir: archive.Dir{Path: w.dir, KeepCalls: 3}, Transcripts: []transcript.FileFormat{transcript.FormatJSON, transcript.FormatText}, Record: true}
	if o.Retry.First == 0 {
		o.Retry = Backoff{First: 200 * time.Millisecond, Max: time.Second, Attempts: 10}
	}
	w.k, w.stop = runKioskStop(t, o)
	waitStatus(t, w.k, "idle", 20*time.Second, inState(StateIdle))
	return w
}

// talk starts a call, waits for the agent to answer what the microphone
// said, and hangs up.
func (w *wired) talk(t *testing.T) CallStatus {
	t.Helper()
	cs, err := w.k.StartCall(context.Background(), TriggerAPI)
	if err != nil {
		t.Fatalf("StartCall: %v", err)
	}
	if st := w.k.Status(); st.State != StateCalling || st.Call == nil || st.Call.ID != cs.ID {
		t.Errorf("status after StartCall: %+v", st)
	}
	waitStatus(t, w.k, "the agent's reply", 45*time.Second, func(Status) bool {
		return len(w.calls.finals(cs.ID, event.SpeakerAgent)) > 0
	})
	if _, err := w.k.StartCall(context.Background(), TriggerAPI); !isErr(err, ErrBusy) {
		t.Errorf("a second call while one is on: %v, want ErrBusy", err)
	}
	ended, err := w.k.Hangup(context.Background())
	if err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	if ended.ID != cs.ID || ended.Error != "" || ended.Ended.IsZero() {
		t.Errorf("hung-up call %+v", ended)
	}
	if got := w.calls.finals(cs.ID, event.SpeakerUser); len(got) != 1 || got[0] != heardText {
		t.Errorf("the agent heard %q, want %q", got, heardText)
	}
	w.checkFiles(t, cs)
	return cs
}

// checkFiles checks the call's transcript and recording: named by its
// start and id, complete, and holding both sides.
func (w *wired) checkFiles(t *testing.T, cs CallStatus) {
	t.Helper()
	base := filepath.Join(w.dir, archive.Dir{}.CallBase(cs.Started, cs.ID))
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatalf("the call's transcript: %v", err)
	}
	var doc struct {
		Segments []struct{ Speaker, Text string } `json:"segments"`
		End      struct{ Reason, Outcome string } `json:"end"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("transcript %s is not JSON: %v", base+".json", err)
	}
	var speakers []string
	for _, s := range doc.Segments {
		speakers = append(speakers, s.Speaker)
	}
	if len(doc.Segments) < 2 || doc.End.Outcome != string(transcript.OutcomeCompleted) {
		t.Errorf("transcript: speakers %v, end %+v", speakers, doc.End)
	}
	if txt, err := os.ReadFile(base + ".txt"); err != nil || !strings.Contains(string(txt), replyText) {
		t.Errorf("text transcript: %v\n%s", err, txt)
	}
	clip, err := audio.LoadFile(base + ".wav")
	if err != nil {
		t.Fatalf("the call's recording: %v", err)
	}
	if clip.Duration() < time.Second {
		t.Errorf("recording of %s", clip.Duration())
	}
}

// Three calls in a row on one kiosk, then the server killed and started
// again while the kiosk is idle: the next call works, and the metrics
// count all four.
func TestKioskTakesCallsAcrossAServerRestart(t *testing.T) {
	w := startWired(t, Options{})
	first := w.talk(t)
	for i := 0; i < 3; i++ {
		w.talk(t)
	}
	// KeepCalls 3: the first call's files made room for the fourth's.
	if left, _ := filepath.Glob(filepath.Join(w.dir, "*"+first.ID+"*")); len(left) != 0 {
		t.Errorf("the oldest call's files are still there: %v", left)
	}
	if all, _ := filepath.Glob(filepath.Join(w.dir, "*.json")); len(all) != 3 {
		t.Errorf("%d transcripts kept, want 3: %v", len(all), all)
	}
	if err := w.srv.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// The agent's worker finds the server again by itself; the kiosk's
	// next call may come before it has, and is then retried.
	cs, err := w.k.StartCall(context.Background(), TriggerAPI)
	if err != nil {
		t.Fatalf("StartCall after the restart: %v", err)
	}
	waitStatus(t, w.k, "a reply after the restart", 60*time.Second, func(s Status) bool {
		if s.Call == nil && s.Retry == nil && s.LastError != nil {
			t.Fatalf("the call after the restart failed for good: %+v", *s.LastError)
		}
		return s.Call != nil && len(w.calls.finals(s.Call.ID, event.SpeakerAgent)) > 0
	})
	if _, err := w.k.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := w.k.Metrics()
	started := testutil.ToFloat64(m.callsStarted.WithLabelValues("api")) + testutil.ToFloat64(m.callsStarted.WithLabelValues("retry"))
	if hung := testutil.ToFloat64(m.callsEnded.WithLabelValues(EndHangup)); hung != 5 || started < 5 {
		t.Errorf("calls hung up %v (want 5), started %v (want at least 5)", hung, started)
	}
	if h := testutil.CollectAndCount(m.firstAudio); h != 1 {
		t.Errorf("time to first audio: %d series", h)
	}
	if w.devs.maxOpen.Load() != 1 {
		t.Errorf("devices open at once: %d, want 1", w.devs.maxOpen.Load())
	}
	t.Logf("first call %s; %d device opens, %d checks", cs.ID, w.devs.opens.Load(), w.devs.checks.Load())
}

// Stopping the kiosk (SIGTERM) mid-call hangs up and leaves the call's
// files complete.
func TestStoppingMidCallKeepsTheFiles(t *testing.T) {
	w := startWired(t, Options{})
	cs, err := w.k.StartCall(context.Background(), TriggerAPI)
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, w.k, "the agent's reply", 45*time.Second, func(Status) bool {
		return len(w.calls.finals(cs.ID, event.SpeakerAgent)) > 0
	})
	w.stop()
	w.checkFiles(t, cs)
	if st := w.k.Status(); st.State != StateStopping || st.LastCall == nil || st.LastCall.ID != cs.ID || st.LastCall.Reason != call.ReasonHangup || st.LastError != nil {
		t.Errorf("status after stopping: %+v, last call %+v, last error %+v", st, st.LastCall, st.LastError)
	}
}
