// Package archive keeps the files of many calls in one directory without
// letting them fill the disk: an unattended kiosk takes calls for weeks,
// and writes a transcript (and, when asked, a recording) of each.
//
// Every file of one call shares a base name, the call's start time and id
// (CallBase), and differs only in its extension: "<base>.json",
// "<base>.wav", "<base>.part2.wav" and so on. Prune deletes whole calls,
// oldest first, until the directory is within the limits of a Dir. Files
// whose names do not have that form are not webcall's and are never
// touched, and neither is a call still being written.
//
// Nothing here starts a goroutine; a Dir is plain data and its methods may
// be called from any goroutine, though two Prunes of one directory at once
// would only race to remove the same files.
package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// Dir is a directory of call files and how much of them to keep. A zero
// limit is no limit.
type Dir struct {
	Path string
	// KeepCalls is the most calls kept.
	KeepCalls int
	// KeepAge is how long a call is kept, counted from its start.
	KeepAge time.Duration
	// KeepBytes is the most bytes kept, all calls' files together, the
	// call in progress included: the point is the disk, and the call in
	// progress is on it too.
	KeepBytes int64
}

// MaxCallID bounds the call id in a base name: a provider's UUID (36
// characters) fits with room to spare, while a file name stays well under
// the 255 bytes file systems allow.
const MaxCallID = 64

// timeLayout is the start time in a base name: UTC, to the second, sorting
// as it reads, without the colons some file systems refuse.
const timeLayout = "20060102T150405Z"

// nameRE matches the files of a call: base (time and id) and extension.
// Ids hold no dot, so the base ends at the first one.
var nameRE = regexp.MustCompile(`^([0-9]{8}T[0-9]{6}Z-[A-Za-z0-9_-]{1,64})\.([A-Za-z0-9]{1,16}(?:\.[A-Za-z0-9]{1,16}){0,3})$`)

// tempRE matches the unfinished files the writers webcall uses keep next
// to the file they are writing, until it is complete: atomicfile's
// ".<name>.tmp-N", audio.WAVWriter's ".<name>.part-N" and the probe
// transcript.CheckFile makes, ".<name>.check-N".
var tempRE = regexp.MustCompile(`^\.(.+)\.(?:tmp|part|check)-[A-Za-z0-9]{1,32}$`)

// AbandonedAfter is how long an unfinished file may go unwritten, by the
// wall clock, before it is taken as left by a process that died rather
// than a call in progress: no call lasts a day. Until then it protects its
// call from Prune.
const AbandonedAfter = 24 * time.Hour

// CallBase is the base name of the files of the call that started at
// start with id callID: "20261202T143015Z-<callID>". Characters of callID
// other than ASCII letters, digits, '-' and '_' become '_', and it is cut
// to MaxCallID characters, so that any id a provider or room hands out
// makes a safe file name and a call is never refused for its id; an empty
// id becomes "call".
func (d Dir) CallBase(start time.Time, callID string) string {
	return start.UTC().Format(timeLayout) + "-" + safeID(callID)
}

// File is the path of the file of the call with base name base and
// extension ext (without its dot): d.File(base, "wav").
func (d Dir) File(base, ext string) string {
	return filepath.Join(d.Path, base+"."+ext)
}

func safeID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if b.Len() == MaxCallID {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "call"
	}
	return b.String()
}

// callFile says whether name is the file of a call, and of which: its base
// name.
func callFile(name string) (base string, ok bool) {
	m := nameRE.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// tempFile says whether name is an unfinished file of a call, and of
// which.
func tempFile(name string) (base string, ok bool) {
	m := tempRE.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return callFile(m[1])
}

// baseTime is the start time a base name carries; ok is false when the
// digits are no valid time (a month 13), and the files' times stand in.
func baseTime(base string) (t time.Time, ok bool) {
	t, err := time.Parse(timeLayout, base[:len(timeLayout)])
	return t, err == nil
}

// Check makes sure the kiosk can keep its files in d before it takes a
// call: the limits make sense, and the directory exists (it is created,
// with its parents, if not) and a file can be written in it. The error is
// a *failure.Error of Kind failure.Input naming the directory.
func (d Dir) Check() error {
	fail := func(err error, msg string) error {
		return failure.Wrap(failure.Input, err, fmt.Sprintf("call files directory %q", d.Path)+msg).
			WithHint("choose a directory that the kiosk's user can create and write to")
	}
	switch {
	case d.Path == "":
		return failure.New(failure.Input, "no directory for call files").
			WithHint("name the directory where transcripts and recordings go")
	case d.KeepCalls < 0 || d.KeepAge < 0 || d.KeepBytes < 0:
		return failure.Newf(failure.Input, "retention limits for %q must not be negative (calls %d, age %v, bytes %d)", d.Path, d.KeepCalls, d.KeepAge, d.KeepBytes).
			WithHint("use 0 for no limit")
	}
	st, err := os.Stat(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		// Private: recordings and transcripts are of people who spoke
		// to the kiosk.
		if err := os.MkdirAll(d.Path, 0o750); err != nil {
			return fail(err, " cannot be created")
		}
		st, err = os.Stat(d.Path)
	}
	if err != nil {
		return fail(err, "")
	}
	if !st.IsDir() {
		return fail(errors.New("it is not a directory"), "")
	}
	// Creating a file is the only sure test of permissions (ACLs,
	// read-only mounts, root squash). The probe's name is none of the
	// call files' and goes at once.
	f, err := os.CreateTemp(d.Path, ".webcall-check-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			err = errors.New("no permission to write in it")
		}
		return fail(err, "")
	}
	_, werr := f.Write([]byte{0})
	cerr := f.Close()
	rerr := os.Remove(f.Name())
	if err := errors.Join(werr, cerr, rerr); err != nil {
		return fail(err, " cannot be written")
	}
	return nil
}
