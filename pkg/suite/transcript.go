package suite

import (
	"fmt"
	"io"
	"strings"

	"github.com/webcall-cli/webcall/pkg/atomicfile"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// writeTranscript writes the call's final captions as "you: ..." and
// "agent: ..." lines, atomically: a temporary file renamed into place.
func writeTranscript(path string, res call.Result) (string, error) {
	var b strings.Builder
	for _, s := range res.Segments {
		who := "you"
		if s.Speaker == transcript.SpeakerAgent {
			who = "agent"
		}
		fmt.Fprintf(&b, "%s: %s\n", who, strings.TrimSpace(s.Text))
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
	return path, err
}
