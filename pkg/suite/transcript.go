package suite

import (
	"strings"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// writeTranscript writes the call's conversation to path, a .txt file of
// "[m:ss.d] you: ..." and "[m:ss.d] agent: ..." lines, and beside it the
// same captions as WebVTT (.vtt), timed to line up with the call's
// recording: the transcript files of `webcall call --transcript`, by the
// same writer, each written atomically. It returns path, the file the
// report names.
func writeTranscript(path string, res call.Result) (string, error) {
	// The files hold what was said; how the call ended is the report's.
	c := res.Conversation(nil)
	if err := transcript.WriteFile(path, c); err != nil {
		return path, err
	}
	return path, transcript.WriteFile(strings.TrimSuffix(path, ".txt")+".vtt", c)
}
