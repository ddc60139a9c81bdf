package main

import (
	"context"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/event"
)

// Each pitfall of livekit-agent-wire.md that broke a real client, played
// by the test agent against the real binary: the transcript must still
// hold each final caption exactly once, with the right text and speaker.
func TestAgentWirePitfalls(t *testing.T) {
	inParallel(t)
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cases := []struct {
		name string
		opts testagent.Options
	}{
		// Older agents: captions only as Transcription data packets.
		{"legacy packets only", testagent.Options{LegacyOnly: true}},
		// Older agents: no lk.segment_id; the stream id keys the segment.
		{"no segment ids", testagent.Options{OmitSegmentID: true}},
		// The reply's stream stays open until the next turn (or for
		// ever): the call still ends, and the caption is settled.
		{"reply stream never closed", testagent.Options{NeverCloseReply: true}},
		// Chunks as JSON lines with text and timing fields.
		{"JSON payloads", testagent.Options{JSONTranscripts: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := startE2E(t, c.opts)
			r := e.call(t, context.Background(), "--format", "json")
			if r.code != 0 {
				t.Fatalf("exit code %d\nstderr:\n%s", r.code, r.stderr)
			}
			evs := parseEvents(t, r.stdout)
			checkOneTurn(t, evs)
			for _, ev := range evs {
				if ev.Type == event.Transcript && strings.Contains(ev.Text, "{") {
					t.Errorf("raw JSON leaked into a caption: %q", ev.Text)
				}
			}
			last := evs[len(evs)-1]
			if last.Type != event.Disconnected || !strings.Contains(last.Reason, "reply is over") {
				t.Errorf("last event %+v, want the end of the reply", last)
			}
		})
	}
}

// An agent that greets first: the file waits for the greeting to finish,
// so the user does not talk over the agent, and the greeting is
// transcribed as a segment of its own.
func TestAgentGreetsFirst(t *testing.T) {
	inParallel(t)
	const greeting = "Sure, I can help you with that. What time would you like?"
	e := startE2E(t, testagent.Options{GreetWAV: repoFile("audio", "reply.wav"), GreetText: greeting})
	r := e.call(t, context.Background(), "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", r.code, r.stderr)
	}
	evs := parseEvents(t, r.stdout)
	agent := finals(evs, event.SpeakerAgent)
	if len(agent) != 2 {
		t.Fatalf("want the greeting and the reply as two agent finals, got:\n%s", dumpEvents(agent))
	}
	user := finals(evs, event.SpeakerUser)
	if len(user) != 1 || user[0].Text != heard {
		t.Fatalf("user finals:\n%s", dumpEvents(user))
	}
	// The user's words were heard after the greeting was over, not during.
	if user[0].TimeMS < agent[0].TimeMS {
		t.Errorf("the user's speech (%d ms) was transcribed before the greeting ended (%d ms)", user[0].TimeMS, agent[0].TimeMS)
	}
}
