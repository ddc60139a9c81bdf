//go:build !noportaudio

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/event"
)

// stockCallLength is the --max-duration of the calls on the servers users
// have: the call ends by itself (exit 0) well after the reply, which
// comes about 12 s in (15 s on a busy machine); the devices then run on
// with nothing to play for several times the device's StallTimeout.
const stockCallLength = 30 * time.Second

// Issue 7: a whole call through the microphone and the speaker on the
// PulseAudio daemon users and containers have (internal/pulse's stock
// mode): the system's default configuration, null sinks spk and micfeed,
// the microphone a remap source on micfeed's monitor with a near-silent
// stream always playing into it, spk and mic the defaults. Its quirks (a
// new stream waits up to 2 s for its first samples, audio comes in blocks
// of up to 2 s) must not make webcall take its devices for stalled: the
// agent hears the user, the speaker plays the reply, no stream is
// restarted, and the call ends at --max-duration with exit 0.
func TestCallOnStockPulseAudio(t *testing.T) { callOnStockServer(t, pulse.StartStock) }

// The same call on PipeWire's PulseAudio server (pipewire-pulse, as a
// desktop runs it), with the same devices.
func TestCallOnPipeWire(t *testing.T) { callOnStockServer(t, pulse.StartPipeWire) }

// callOnStockServer makes the call of TestCallOnStockPulseAudio on the
// server start starts.
func callOnStockServer(t *testing.T, start func(testing.TB) *pulse.Server) {
	e := startE2E(t, testagent.Options{})
	s := start(t)
	speaker := s.RecordSpeaker(t)

	began := time.Now()
	c := startLiveCall(t, e, s, "--input", "mic", "--output", "speaker", "--max-duration", stockCallLength.String())
	c.waitFor(t, "the agent", 20*time.Second, isType(event.AgentJoined))
	e.waitHearing(t)
	sayIntoMic(t, s, "hello.wav")
	user := c.waitFor(t, "the user's transcript", 20*time.Second, isFinal(event.SpeakerUser))
	c.waitFor(t, "the agent speaking", 20*time.Second, isState("speaking"))
	c.waitFor(t, "the end of the reply", 30*time.Second, isState("listening"))
	t.Logf("the reply was over %s into the call", time.Since(began).Round(100*time.Millisecond))
	r := c.wait(t) // until --max-duration
	// This waits seconds for what the daemon still holds of the speaker.
	played, err := speaker.Stop()
	if err != nil {
		t.Fatal(err)
	}

	checkDeviceTurn(t, c, user, played)
	if restarts := linesWith(r.stderr, "went quiet"); len(restarts) > 0 {
		t.Errorf("webcall restarted its audio streams %d times:\n%s", len(restarts), strings.Join(restarts, "\n"))
	}
	if r.code != 0 {
		t.Errorf("exit code %d, want 0 (the call ends at --max-duration)\nstderr:\n%s", r.code, r.stderr)
	} else if !strings.Contains(r.stderr, "maximum duration reached") {
		t.Errorf("the call did not end at --max-duration:\n%s", r.stderr)
	}
	noLibraryNoise(t, r.stderr)
	noStackTrace(t, r)
}

// linesWith returns the lines of s that contain sub.
func linesWith(s, sub string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return out
}
