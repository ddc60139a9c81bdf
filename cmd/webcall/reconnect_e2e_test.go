package main

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/token"
)

// lostBound is how long a call may take, from the server's death to its
// exit, by the README: the recovery timeout, then leaving the room and
// writing the files. The margin is for a loaded machine, not for the
// call: the figure is logged.
const lostBound = 15*time.Second + 5*time.Second

// startDying is startE2E for a test that kills the server under the test
// agent. The agent's SDK then retries in a goroutine that sleeps between
// attempts (up to 24 s) without watching for the room's Disconnect, and
// ends at its next wake-up, as does the one its Disconnect leaves to wait
// for it: bounded, and the SDK's, so the leak check leaves them out. So is
// the waiter of a server restarted during the test, which the server's
// Stop ends after the check.
func startDying(t *testing.T, opts testagent.Options) *e2e {
	t.Helper()
	return startE2ETB(t, opts, ignoringLeaks(leaktest.Ignore(
		"server-sdk-go/v2.(*RTCEngine).handleDisconnect.func1",
		"server-sdk-go/v2.(*RTCEngine).Close.func1",
		"webcall/internal/proc.StartProcess.func1")))
}

// A server killed (SIGKILL) while the agent replies to a scripted call:
// the call does not wait for ever, nor blame the agent with "no reply"; it
// ends with exit 3 within the documented bound, says the server went
// away, and leaves every output file valid.
func TestServerKilledMidCall(t *testing.T) {
	inParallel(t)
	e := startDying(t, testagent.Options{})
	f := newTranscriptFiles(t)
	var killedAt time.Time
	r := e.callCutInReply(t, func(_ *exec.Cmd, _ string) error {
		killedAt = time.Now()
		return e.srv.Kill()
	}, append([]string{"--format", "json"}, f.args()...)...)
	took := time.Since(killedAt)
	t.Logf("from the kill to the exit: %s (recover timeout %s)", took.Round(10*time.Millisecond), call.DefaultTiming.RecoverTimeout)
	if r.code != exitConnect {
		t.Fatalf("exit code %d, want %d (connect)\nstderr:\n%s", r.code, exitConnect, r.stderr)
	}
	if took > lostBound {
		t.Errorf("the call took %s after the kill to end, more than the documented %s", took, lostBound)
	}
	if !strings.Contains(r.stderr, "lost the connection to "+e.srv.URL) || !strings.Contains(r.stderr, "did not answer") {
		t.Errorf("stderr does not say the server went away:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "did not reply") {
		t.Errorf("the agent is blamed for the server's death:\n%s", r.stderr)
	}
	evs := parseEvents(t, r.stdout)
	var states []string
	for _, ev := range evs {
		if ev.Type == event.Connection {
			states = append(states, ev.State)
		}
	}
	if strings.Join(states, ",") != "reconnecting,lost" {
		t.Errorf("connection states %v, want reconnecting then lost", states)
	}
	if last := evs[len(evs)-1]; last.Type != event.Error || last.Code != exitConnect {
		t.Errorf("last event %+v, want an error event with code %d", last, exitConnect)
	}

	doc := readTranscriptJSON(t, f.json)
	if doc.End.Error == nil || doc.End.Error.Kind != "connect" {
		t.Errorf("the transcript's end %+v, want a connect error", doc.End)
	}
	if len(doc.speakerSegments(event.SpeakerUser)) != 1 || len(doc.speakerSegments(event.SpeakerAgent)) != 1 {
		t.Errorf("segments %+v, want the user's and the cut reply", doc.Segments)
	}
	checkTranscriptTxt(t, f.txt, doc)
	readTranscriptVTT(t, f.vtt, doc)
	checkRecording(t, f.rec, 3*time.Second)
	f.onlyThese(t)
	noStackTrace(t, r)
}

// A --reconnect call whose server is killed while the agent replies, and
// restarted on the same ports a few seconds later: the call loses the
// room, rejoins with a freshly minted token for the same room (whose
// dispatch sends the agent in again), and goes on with its script: the
// new agent answers the second turn, its captions arrive after the
// rejoin, the recording spans the whole call with the gap, exit 0.
func TestServerRestartRejoins(t *testing.T) {
	inParallel(t)
	e := startDying(t, testagent.Options{})
	f := newTranscriptFiles(t)
	restarted := make(chan error, 1)
	r := e.callCutInReply(t, func(_ *exec.Cmd, _ string) error {
		if err := e.srv.Kill(); err != nil {
			return err
		}
		go func() {
			time.Sleep(restartAfter)
			ctx, cancel := context.WithTimeout(context.Background(), lkserver.ReadyTimeout)
			defer cancel()
			restarted <- e.srv.Restart(ctx)
		}()
		return nil
	}, append([]string{"--format", "json", "--reconnect", "--recover-timeout", "2s", "--say", "And could we sit by the window?"}, f.args()...)...)
	if err := <-restarted; err != nil {
		t.Fatalf("restart the server: %v", err)
	}
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	evs := parseEvents(t, r.stdout)
	var states []string
	var rejoinedAt int64
	for _, ev := range evs {
		if ev.Type != event.Connection {
			continue
		}
		states = append(states, ev.State)
		switch ev.State {
		case event.ConnRejoining:
			if ev.Attempt < 1 || ev.MaxAttempts != call.DefaultReconnect.MaxAttempts || ev.DelayMS <= 0 {
				t.Errorf("rejoining event %+v: want attempt, max_attempts and delay_ms", ev)
			}
		case event.ConnRejoined:
			rejoinedAt = ev.TimeMS
			t.Logf("rejoined at %d ms, after %d ms without a connection", ev.TimeMS, ev.GapMS)
			if ev.GapMS < restartAfter.Milliseconds() {
				t.Errorf("gap_ms %d, but the server was away for %s", ev.GapMS, restartAfter)
			}
		}
	}
	if got := strings.Join(states, ","); !strings.HasPrefix(got, "reconnecting,lost,rejoining") || !strings.HasSuffix(got, ",rejoined") {
		t.Fatalf("connection states %s, want reconnecting, lost, rejoining (one or more), rejoined\nstderr:\n%s", got, r.stderr)
	}
	var after []string
	for _, ev := range finals(evs, event.SpeakerAgent) {
		if ev.TimeMS > rejoinedAt {
			after = append(after, ev.Text)
		}
	}
	if len(after) == 0 || after[len(after)-1] != replyText {
		t.Errorf("the agent's final captions after the rejoin: %q, want its reply", after)
	}
	if !strings.Contains(r.stderr, "rejoining with a fresh token for room") {
		t.Errorf("stderr does not say how the token is renewed:\n%s", r.stderr)
	}

	doc := readTranscriptJSON(t, f.json)
	if len(doc.Gaps) != 1 || doc.Gaps[0].EndMS <= doc.Gaps[0].StartMS || doc.Gaps[0].EndMS > rejoinedAt+100 {
		t.Errorf("the transcript's gaps %+v, want the one that ends at the rejoin (%d ms)", doc.Gaps, rejoinedAt)
	}
	checkTranscriptTxt(t, f.txt, doc)
	readTranscriptVTT(t, f.vtt, doc)
	// The recording has a frame for every frame the call sent, gap
	// included: it spans the call from its first frame to its end.
	left, _ := recordingChannels(t, f.rec)
	recorded := time.Duration(len(left)) * time.Second / audio.SampleRate
	if span := time.Duration(doc.DurationMS-doc.AudioStartMS) * time.Millisecond; recorded < span-time.Second {
		t.Errorf("the recording holds %s, the call ran %s from its first frame", recorded, span)
	}
	noStackTrace(t, r)
}

// restartAfter is how long the restart test leaves the server dead: long
// enough for the SDK to give up (--recover-timeout 2s) and a rejoin to
// fail once.
const restartAfter = 3 * time.Second

// A ready token cannot be renewed: a --reconnect call given a short-lived
// --token, whose server dies and comes back after the token expired,
// ends with exit 4 and says the token could not be renewed, naming the
// ways out (minting, a token endpoint). The same call with a minted token
// goes on (TestServerRestartRejoins).
func TestExpiredTokenAtRejoin(t *testing.T) {
	inParallel(t)
	e := startDying(t, testagent.Options{})
	tok, claims, err := token.Minted{APIKey: e.srv.APIKey, APISecret: e.srv.APISecret, TTL: shortTTL, AgentName: e.name}.Mint()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() {
		done <- runBin(t, context.Background(), nil, "call", "--url", e.srv.URL, "--token", tok, "--input", repoFile("audio", "hello.wav"),
			"--reconnect", "--recover-timeout", "2s", "--max-duration", "40s", "--format", "json")
	}()
	select {
	case <-e.agent.Hearing():
	case r := <-done:
		t.Fatalf("the call ended before the agent heard it: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	if err := e.srv.Kill(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(claims.ExpiresAt) + 500*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), lkserver.ReadyTimeout)
	defer cancel()
	if err := e.srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != exitAuth {
		t.Fatalf("exit code %d, want %d (auth)\nstderr:\n%s", r.code, exitAuth, r.stderr)
	}
	for _, want := range []string{"a ready token cannot be renewed: rejoining with the same token, valid until", "the token could not be renewed", "--api-key", "--token-endpoint"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	evs := parseEvents(t, r.stdout)
	if last := evs[len(evs)-1]; last.Type != event.Error || last.Code != exitAuth {
		t.Errorf("last event %+v, want an error event with code %d", last, exitAuth)
	}
	noStackTrace(t, r)
}

// shortTTL is the lifetime of the ready token of TestExpiredTokenAtRejoin:
// enough to join and be heard on a loaded machine, short enough that the
// test waits little for it to expire.
const shortTTL = 8 * time.Second

// A server that accepts the connection and then says nothing (a stuck
// process, a firewall that swallows, the wrong service on the port): the
// call ends with exit 3 within --connect-timeout, says so plainly, and
// leaves no goroutine behind (runMain checks).
func TestServerNeverAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // read nothing, write nothing
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-accepted
		for _, c := range held {
			c.Close()
		}
	})
	url := "ws://" + l.Addr().String()
	r := runMain(t, map[string]string{"LIVEKIT_API_SECRET": "secret"}, "call", "--url", url, "--api-key", "devkey",
		"--input", repoFile("audio", "hello.wav"), "--connect-timeout", "2s")
	t.Logf("ended after %s", r.elapsed.Round(10*time.Millisecond))
	if r.code != exitConnect {
		t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, exitConnect, r.stderr)
	}
	if !strings.Contains(r.stderr, "accepted the connection but never answered") {
		t.Errorf("stderr does not say the server never answered:\n%s", r.stderr)
	}
	if r.elapsed > 2*time.Second+3*time.Second {
		t.Errorf("the call took %s to give up, with --connect-timeout 2s", r.elapsed)
	}
	noStackTrace(t, r)
}
