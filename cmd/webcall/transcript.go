package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// checkTranscriptFiles refuses --transcript files that could not be
// written, before the call costs anything: an extension that names no
// format, a directory that does not exist, one webcall cannot write in.
func checkTranscriptFiles(paths []string) error {
	for _, path := range paths {
		if err := checkTranscriptFile(path); err != nil {
			return err
		}
	}
	return nil
}

func checkTranscriptFile(path string) error {
	err := transcript.CheckFile(path)
	if err == nil {
		return nil
	}
	if errors.Is(err, transcript.ErrUnknownFormat) {
		exts := make([]string, len(transcript.FileFormats))
		for i, f := range transcript.FileFormats {
			exts[i] = "." + string(f)
		}
		return failure.Wrap(failure.Usage, err, "--transcript").
			WithHint("name the file with the extension of the format you want: " + strings.Join(exts, ", ") + " (e.g. --transcript call.json)")
	}
	return failure.Wrap(failure.Input, err, fmt.Sprintf("--transcript %q", path)).
		WithHint("write the transcript to an existing directory you can write to")
}

// writeTranscriptFiles writes the call's conversation to each path once
// the call is over. err is how the call ended, as the process reports it
// (a signal's kind). A transcript that cannot be written is reported and
// does not change the call's outcome, as for the WAV files.
func writeTranscriptFiles(paths []string, res call.Result, err error, status *statusLine) {
	if len(paths) == 0 {
		return
	}
	c := res.Conversation(err)
	c.End.Reason, c.End.Error = redact.String(c.End.Reason), redact.String(c.End.Error)
	for _, path := range paths {
		if werr := transcript.WriteFile(path, c); werr != nil {
			status.log(fmt.Sprintf("cannot write the transcript %s: %v", path, werr))
			continue
		}
		status.print("wrote " + path)
	}
}
