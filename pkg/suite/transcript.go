package suite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	tmp, err := os.CreateTemp(filepath.Dir(path), ".webcall-*.txt")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}
