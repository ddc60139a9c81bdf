package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/vttcheck"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// A recorded call gets the text transcript the report names and WebVTT
// captions on its recording's timeline, both from the transcript writer.
func TestWriteTranscript(t *testing.T) {
	start := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	res := call.Result{
		Room: "r", Identity: "me", Start: start, AudioStart: 400 * time.Millisecond,
		Segments: []transcript.Segment{
			{ID: "u1", Speaker: transcript.SpeakerUser, Identity: "me", Text: "Hello", Final: true,
				Started: start.Add(1500 * time.Millisecond), Updated: start.Add(3 * time.Second)},
			{ID: "a1", Speaker: transcript.SpeakerAgent, Identity: "agent", Text: "Hi there", Final: true,
				Started: start.Add(4 * time.Second), Updated: start.Add(6 * time.Second)},
		},
	}
	dir := t.TempDir()
	path, err := writeTranscript(filepath.Join(dir, "call-1.txt"), res)
	if err != nil {
		t.Fatal(err)
	}
	txt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[0:01.5] you: Hello\n[0:04.0] agent: Hi there\n"; string(txt) != want {
		t.Errorf("text transcript:\n%s\nwant:\n%s", txt, want)
	}
	vtt, err := os.ReadFile(filepath.Join(dir, "call-1.vtt"))
	if err != nil {
		t.Fatal(err)
	}
	cues, err := vttcheck.Parse(string(vtt), vttcheck.Options{RequireVoice: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(cues) != 2 || cues[0].Start != 1100*time.Millisecond || cues[1].Start != 3600*time.Millisecond || cues[1].Text != "Hi there" {
		t.Errorf("cues %+v, want the segments 400 ms earlier, on the recording's timeline", cues)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 || strings.Contains(entries[0].Name()+entries[1].Name(), ".tmp") {
		t.Errorf("the directory holds %v", entries)
	}
}
