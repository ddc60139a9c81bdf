// Command webcall is a headless voice client for AI voice agents on
// LiveKit: it joins the agent's room, speaks from a microphone or a file,
// plays or records the agent, and prints the live transcript.
//
// The code path from `webcall call` to the wire: call.go (flags into
// options) -> pkg/call.Run (one call) -> pkg/room (LiveKit) and
// pkg/audio (frames) -> room.OpusTrack.WriteFrame (RTP packets).
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
