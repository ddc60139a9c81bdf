package transcript

// Transcript files: the whole conversation of one call, written once when
// the call is over, in the format the file's extension names. The JSON
// document is defined by schema/transcript.schema.json; vtt.go writes
// WebVTT captions.

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/atomicfile"
)

// FileFormat is the format of a transcript file.
type FileFormat string

// The formats, named by their file extensions.
const (
	FormatJSON FileFormat = "json"
	FormatText FileFormat = "txt"
	FormatVTT  FileFormat = "vtt"
)

// FileFormats are the formats a transcript file can have, in the order
// they are offered to people.
var FileFormats = []FileFormat{FormatJSON, FormatText, FormatVTT}

// FileVersion is the version of the JSON transcript document, in its "v"
// field. Adding a field keeps it; renaming, removing or changing the
// meaning of one raises it.
const FileVersion = 1

// ErrUnknownFormat: the file's extension names no transcript format.
var ErrUnknownFormat = errors.New("unknown transcript file format")

// FormatOf is the format a transcript file's extension names (any case).
func FormatOf(path string) (FileFormat, error) {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	for _, f := range FileFormats {
		if ext == string(f) {
			return f, nil
		}
	}
	if ext == "" {
		return "", fmt.Errorf("%w: %q has no extension", ErrUnknownFormat, path)
	}
	return "", fmt.Errorf("%w: %q ends in .%s", ErrUnknownFormat, path, ext)
}

// CheckFile says whether a transcript could be written to path, without
// writing it: the extension names a format, the directory exists, path is
// not a directory, and a file can be created in the directory. Callers
// check it before a call, so a mistake costs nothing.
func CheckFile(path string) error {
	if _, err := FormatOf(path); err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%q is a directory, expected a file name", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %q does not exist", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%q is not a directory", dir)
	}
	// The file is written as atomicfile writes it: a temporary file in the
	// same directory, renamed into place. Trying that is the only sure
	// test of permissions (ACLs, read-only mounts).
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".check-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("no permission to write in directory %q", dir)
		}
		return fmt.Errorf("cannot write in directory %q: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// Conversation is everything a transcript file holds about one call.
// Every offset counts from the call's time zero, Start.
type Conversation struct {
	Room     string
	CallID   string
	Identity string
	// AgentIdentity and AgentName are the agent's, if one joined.
	AgentIdentity string
	AgentName     string
	// Start is the call's time zero, on the wall clock.
	Start    time.Time
	Duration time.Duration
	// AudioStart is when the first frame of the user's audio went out:
	// the first sample of the call's recording. WebVTT cues count from
	// it, so that they line up with the recording.
	AudioStart time.Duration
	End        Ending
	// Segments are the call's captions; only final ones are written.
	Segments []Segment
	Chat     []ChatLine
	// Gaps are the stretches of the call without a connection: nothing
	// was heard or said through it then, though the recording runs on.
	Gaps []Gap
	// SegmentsNotKept is how many earlier segments of a long call are
	// not in Segments, let go to bound the call's memory
	// (Store.Dropped): the files say so where they begin.
	SegmentsNotKept int
}

// notKeptWords says how many earlier segments a file does not hold.
func notKeptWords(n int) string {
	if n == 1 {
		return "1 earlier segment not kept"
	}
	return fmt.Sprintf("%d earlier segments not kept", n)
}

// Gap is a stretch of a call without a connection, as offsets from the
// call's time zero.
type Gap struct {
	Start, End time.Duration
}

// gaps are c's gaps in time order, in whole milliseconds as the JSON has
// them.
func (c Conversation) gaps() []Gap {
	out := make([]Gap, 0, len(c.Gaps))
	for _, g := range c.Gaps {
		g.Start, g.End = max(g.Start, 0).Truncate(time.Millisecond), max(g.End, 0).Truncate(time.Millisecond)
		g.End = max(g.End, g.Start)
		out = append(out, g)
	}
	slices.SortStableFunc(out, func(a, b Gap) int { return cmp.Compare(a.Start, b.Start) })
	return out
}

// gapWords says how long a gap lasted, as the text and WebVTT files say.
func gapWords(g Gap) string {
	return fmt.Sprintf("no connection for %.1f s", (g.End - g.Start).Seconds())
}

// Ending says how a call ended.
type Ending struct {
	// Reason says why, in words.
	Reason  string
	Outcome Outcome
	// ErrorKind and Error are the failure's kind (failure.Kind's name)
	// and message, when the call did not complete.
	ErrorKind string
	Error     string
}

// Outcome is how a call ended.
type Outcome string

// The outcomes.
const (
	// OutcomeCompleted: the call ended by itself or was hung up as
	// planned (the reply was over, the agent left, the time was up).
	OutcomeCompleted Outcome = "completed"
	// OutcomeInterrupted: it was cut short from outside: Ctrl-C, SIGTERM,
	// a cancelled context.
	OutcomeInterrupted Outcome = "interrupted"
	// OutcomeFailed: it ended by an error, such as a lost connection.
	OutcomeFailed Outcome = "failed"
)

// ChatLine is one chat message of a call.
type ChatLine struct {
	// At is when it was sent (the user's) or received (the agent's).
	At       time.Duration
	Speaker  Speaker
	Identity string
	Text     string
}

// spoken is one final segment as the files write it: offsets from the
// call's time zero.
type spoken struct {
	Segment
	start, end time.Duration
}

// finalSegments are c's final segments with text, in order of start;
// segments that started together keep the Store's order.
func (c Conversation) finalSegments() []spoken {
	var out []spoken
	for _, s := range c.Segments {
		if !s.Final || oneLine(s.Text) == "" {
			continue
		}
		// Whole milliseconds, as the JSON has them, so that every format
		// says the same times.
		sp := spoken{Segment: s, start: c.offset(s.Started).Truncate(time.Millisecond), end: c.offset(s.Updated).Truncate(time.Millisecond)}
		sp.end = max(sp.end, sp.start)
		out = append(out, sp)
	}
	slices.SortStableFunc(out, func(a, b spoken) int { return cmp.Compare(a.start, b.start) })
	return out
}

// chatLines are c's chat messages in time order.
func (c Conversation) chatLines() []ChatLine {
	out := slices.Clone(c.Chat)
	slices.SortStableFunc(out, func(a, b ChatLine) int { return cmp.Compare(a.At, b.At) })
	return out
}

func (c Conversation) offset(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return max(t.Sub(c.Start), 0)
}

// WriteFile writes c to path in the format its extension names,
// atomically: readers see the old file or the whole new one, and a failed
// write leaves no file behind.
func WriteFile(path string, c Conversation) error {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return c.Write(w, format)
	})
}

// Write writes c to w in format.
func (c Conversation) Write(w io.Writer, format FileFormat) error {
	switch format {
	case FormatJSON:
		return c.WriteJSON(w)
	case FormatText:
		return c.WriteText(w)
	case FormatVTT:
		return c.WriteVTT(w)
	}
	return fmt.Errorf("%w: %q", ErrUnknownFormat, format)
}

// The JSON document; schema/transcript.schema.json says what each field
// means.
type fileJSON struct {
	V          int           `json:"v"`
	Room       string        `json:"room"`
	CallID     string        `json:"call_id,omitempty"`
	Identity   string        `json:"identity"`
	Agent      *agentJSON    `json:"agent,omitempty"`
	StartedAt  string        `json:"started_at"`
	DurationMS int64         `json:"duration_ms"`
	AudioStart int64         `json:"audio_start_ms"`
	End        endJSON       `json:"end"`
	Segments   []segmentJSON `json:"segments"`
	Chat       []chatJSON    `json:"chat"`
	Gaps       []gapJSON     `json:"gaps,omitempty"`
	NotKept    int           `json:"segments_not_kept,omitempty"`
}

type gapJSON struct {
	StartMS int64 `json:"start_ms"`
	EndMS   int64 `json:"end_ms"`
}

type agentJSON struct {
	Identity string `json:"identity"`
	Name     string `json:"name,omitempty"`
}

type endJSON struct {
	Reason  string     `json:"reason"`
	Outcome Outcome    `json:"outcome"`
	Error   *errorJSON `json:"error,omitempty"`
}

type errorJSON struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

type segmentJSON struct {
	ID       string  `json:"id"`
	Speaker  Speaker `json:"speaker"`
	Identity string  `json:"identity"`
	StartMS  int64   `json:"start_ms"`
	EndMS    int64   `json:"end_ms"`
	Text     string  `json:"text"`
}

type chatJSON struct {
	AtMS     int64   `json:"at_ms"`
	Speaker  Speaker `json:"speaker"`
	Identity string  `json:"identity"`
	Text     string  `json:"text"`
}

// WriteJSON writes c as the versioned JSON document, indented for people.
func (c Conversation) WriteJSON(w io.Writer) error {
	doc := fileJSON{
		V:          FileVersion,
		Room:       c.Room,
		CallID:     c.CallID,
		Identity:   c.Identity,
		StartedAt:  c.Start.UTC().Format(time.RFC3339Nano),
		DurationMS: c.Duration.Milliseconds(),
		AudioStart: c.AudioStart.Milliseconds(),
		End:        endJSON{Reason: c.End.Reason, Outcome: c.End.Outcome},
		Segments:   []segmentJSON{},
		Chat:       []chatJSON{},
		NotKept:    max(c.SegmentsNotKept, 0),
	}
	if doc.End.Outcome == "" {
		doc.End.Outcome = OutcomeCompleted
	}
	if doc.End.Outcome != OutcomeCompleted {
		doc.End.Error = &errorJSON{Kind: c.End.ErrorKind, Message: c.End.Error}
	}
	if c.AgentIdentity != "" {
		doc.Agent = &agentJSON{Identity: c.AgentIdentity, Name: c.AgentName}
	}
	for _, s := range c.finalSegments() {
		doc.Segments = append(doc.Segments, segmentJSON{
			ID: s.ID, Speaker: s.Speaker, Identity: s.Identity,
			StartMS: s.start.Milliseconds(), EndMS: s.end.Milliseconds(),
			Text: oneLine(s.Text),
		})
	}
	for _, m := range c.chatLines() {
		doc.Chat = append(doc.Chat, chatJSON{AtMS: max(m.At, 0).Milliseconds(), Speaker: m.Speaker, Identity: m.Identity, Text: m.Text})
	}
	for _, g := range c.gaps() {
		doc.Gaps = append(doc.Gaps, gapJSON{StartMS: g.Start.Milliseconds(), EndMS: g.End.Milliseconds()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write transcript: %w", err)
	}
	return nil
}

// WriteText writes c as lines for people, speech and chat in time order:
//
//	[0:03.2] you: Hello.
//	[0:05.0] agent: Hi! How can I help?
//	[0:09.7] you (chat): a table for two
//	[0:12.1] — no connection for 8.0 s —
//
// A line's time is when the segment began (or the chat message was sent,
// or the connection was lost), from the call's time zero. A call whose
// earliest segments were let go begins with a line that says how many.
func (c Conversation) WriteText(w io.Writer) error {
	type line struct {
		at   time.Duration
		text string
	}
	var lines []line
	if c.SegmentsNotKept > 0 {
		lines = append(lines, line{0, "— " + notKeptWords(c.SegmentsNotKept) + " —"})
	}
	for _, s := range c.finalSegments() {
		lines = append(lines, line{s.start, label(string(s.Speaker)) + ": " + oneLine(s.Text)})
	}
	for _, m := range c.chatLines() {
		lines = append(lines, line{max(m.At, 0), label(string(m.Speaker)) + " (chat): " + oneLine(m.Text)})
	}
	for _, g := range c.gaps() {
		lines = append(lines, line{g.Start, "— " + gapWords(g) + " —"})
	}
	slices.SortStableFunc(lines, func(a, b line) int { return cmp.Compare(a.at, b.at) })
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "[%s] %s\n", clockTenths(l.at), l.text)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write transcript: %w", err)
	}
	return nil
}

// clockTenths spells d as m:ss.d, or h:mm:ss.d from an hour on,
// truncated to the tenth: a line never claims a time before it began.
func clockTenths(d time.Duration) string {
	tenths := d / (100 * time.Millisecond)
	h, m, s, t := tenths/36000, tenths/600%60, tenths/10%60, tenths%10
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d.%d", h, m, s, t)
	}
	return fmt.Sprintf("%d:%02d.%d", m, s, t)
}
