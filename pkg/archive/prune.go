package archive

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Pruned is what one Prune removed, and what it left, for the kiosk to log
// and to show in its status and metrics.
type Pruned struct {
	// Calls is how many calls were removed whole; Bases names them,
	// oldest first.
	Calls int
	Bases []string
	// Files and Bytes count every file removed, those of calls that
	// could be removed only in part included.
	Files int
	Bytes int64
	// Failed counts the files that should have gone and could not.
	Failed int
	// KeptCalls and KeptBytes are what the directory holds of webcall's
	// afterwards.
	KeptCalls int
	KeptBytes int64
}

// maxReported bounds the removal errors one Prune returns: a directory
// that has turned read-only fails on every file, and one line per file
// would flood the log with the same news.
const maxReported = 5

// call is one call's files as Prune found them.
type call struct {
	base      string
	start     time.Time
	files     []found
	bytes     int64
	protected bool
}

type found struct {
	name string
	size int64
}

// Prune removes whole calls, oldest first, until d holds at most
// KeepCalls calls, none that started more than KeepAge before now, and at
// most KeepBytes bytes. A call's age is the time in its name; a name whose
// digits make no valid time falls back to the newest modification time of
// its files.
//
// It never removes a file whose name is not a call's, nor any file of the
// call named protect (the base name of the call in progress, or "") or of
// a call that has an unfinished file (see AbandonedAfter): those still
// count against the limits, and newer calls go in their place.
//
// A file that cannot be removed does not stop the others: Prune goes on,
// and returns the errors (at most a few, and how many more) along with what
// it did remove. Its call is not replaced by a newer one: the limits are
// held as if it had gone. A directory that does not exist holds nothing to
// prune.
func (d Dir) Prune(now time.Time, protect string) (Pruned, error) {
	calls, err := d.scan(protect)
	if err != nil {
		return Pruned{}, err
	}
	var p Pruned
	for _, c := range calls {
		p.KeptCalls++
		p.KeptBytes += c.bytes
	}
	// The limits are held against what is left once the chosen calls
	// are gone, whether or not their removal works: a call that cannot
	// be removed is reported, and must not cost a newer call its place.
	left, leftBytes := p.KeptCalls, p.KeptBytes
	var errs []error
	for _, c := range calls {
		expired := d.KeepAge > 0 && now.Sub(c.start) > d.KeepAge
		tooMany := d.KeepCalls > 0 && left > d.KeepCalls
		tooBig := d.KeepBytes > 0 && leftBytes > d.KeepBytes
		if c.protected || !(expired || tooMany || tooBig) {
			continue
		}
		left--
		leftBytes -= c.bytes
		whole := true
		for _, f := range c.files {
			err := os.Remove(filepath.Join(d.Path, f.name))
			switch {
			case err == nil:
				p.Files++
				p.Bytes += f.size
				p.KeptBytes -= f.size
			case errors.Is(err, fs.ErrNotExist):
				// Gone meanwhile: what was wanted.
				p.KeptBytes -= f.size
			default:
				whole = false
				p.Failed++
				errs = append(errs, err)
			}
		}
		if whole {
			p.Calls++
			p.Bases = append(p.Bases, c.base)
			p.KeptCalls--
		}
	}
	return p, pruneError(d.Path, errs)
}

// scan lists the calls in d, oldest first.
func (d Dir) scan(protect string) ([]*call, error) {
	entries, err := os.ReadDir(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list call files in %q: %w", d.Path, err)
	}
	byBase := map[string]*call{}
	newest := map[string]time.Time{}
	get := func(base string) *call {
		c := byBase[base]
		if c == nil {
			c = &call{base: base, protected: base == protect}
			byBase[base] = c
		}
		return c
	}
	for _, e := range entries {
		// Only regular files: a directory or a symbolic link that
		// happens to carry a call's name is someone else's.
		if !e.Type().IsRegular() {
			continue
		}
		base, isCall := callFile(e.Name())
		tempBase, isTemp := tempFile(e.Name())
		if !isCall && !isTemp {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since the listing
		}
		if isTemp {
			base = tempBase
		}
		c := get(base)
		c.files = append(c.files, found{name: e.Name(), size: info.Size()})
		c.bytes += info.Size()
		// The wall clock, not now: whether a writer is alive is a
		// matter of when the file system last saw it write, whatever
		// clock the caller keeps its calls' times by.
		if isTemp && time.Since(info.ModTime()) < AbandonedAfter {
			c.protected = true
		}
		if info.ModTime().After(newest[base]) {
			newest[base] = info.ModTime()
		}
	}
	calls := make([]*call, 0, len(byBase))
	for base, c := range byBase {
		if t, ok := baseTime(base); ok {
			c.start = t
		} else {
			c.start = newest[base]
		}
		calls = append(calls, c)
	}
	slices.SortFunc(calls, func(a, b *call) int {
		return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.base, b.base))
	})
	return calls, nil
}

// pruneError is one error for all the files Prune could not remove, naming
// the first few (each *fs.PathError names its file and the reason).
func pruneError(dir string, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	shown := errs[:min(len(errs), maxReported)]
	err := errors.Join(shown...)
	if more := len(errs) - len(shown); more > 0 {
		err = errors.Join(err, fmt.Errorf("and %d more files", more))
	}
	return fmt.Errorf("prune call files in %q: %d files could not be removed (the directory or the files may not be writable): %w", dir, len(errs), err)
}
