//go:build !noportaudio

package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/pulse"
	"github.com/webcall-cli/webcall/internal/testagent"
	"github.com/webcall-cli/webcall/pkg/audio"
)

// micCallLength is how long each benchmarked microphone call lasts: the
// user's 3 s, the agent's 3.7 s reply, and the time between.
const micCallLength = 12 * time.Second

// BenchmarkMicrophoneCall is BenchmarkCall through the microphone and the
// speaker, with echo cancellation, on PulseAudio's virtual devices: the
// user's words are played into the microphone two seconds in, and the
// call ends at micCallLength. reply-latency-ms is not measured for a
// microphone (0): only a file call knows where the user's speech ends.
//
//	go test -run '^$' -bench BenchmarkMicrophoneCall -benchtime 3x ./cmd/webcall
func BenchmarkMicrophoneCall(b *testing.B) {
	e := startE2ETB(b, testagent.Options{})
	s := pulse.Start(b)
	bin := benchWebcall(b)
	hello, err := audio.LoadFile(repoFile("audio", "hello.wav"))
	if err != nil {
		b.Fatal(err)
	}
	env := append([]string{"PATH=" + os.Getenv("PATH"), "LIVEKIT_API_SECRET=" + e.srv.APISecret}, s.Env()...)
	speak := func() {
		time.Sleep(2 * time.Second)
		if err := s.PlayIntoMic(context.Background(), hello.Samples); err != nil {
			b.Error(err)
		}
	}
	var cost callCost
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cost.run(b, bin, env, speak, "--url", e.srv.URL, "--api-key", e.srv.APIKey, "--agent-name", e.name,
			"--input", "mic", "--output", "speaker", "--max-duration", micCallLength.String())
	}
	cost.report(b)
}
