package archive

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/atomicfile"
	"github.com/webcall-cli/webcall/pkg/audio"
)

var now = time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)

// put writes a call's files of the given sizes into dir and returns its
// base name.
func put(t *testing.T, dir string, start time.Time, id string, sizes map[string]int) string {
	t.Helper()
	base := Dir{}.CallBase(start, id)
	for ext, n := range sizes {
		if err := os.WriteFile(filepath.Join(dir, base+"."+ext), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

// names lists dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// bases is which calls dir holds files of, finished or not.
func bases(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, n := range names(t, dir) {
		b, ok := callFile(n)
		if !ok {
			b, ok = tempFile(n)
		}
		if ok && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return out
}

// TestPruneLimits: each limit alone and together, on calls of four files
// each (a recording in two parts among them), every one a day apart; what goes is always the oldest, whole, and
// Pruned says exactly what went and what is left.
func TestPruneLimits(t *testing.T) {
	defer leaktest.Check(t)()
	const perCall = 1000 // bytes: 600 + 200 + 100 + 100
	tests := []struct {
		name string
		dir  Dir
		keep int // the newest calls that stay, of 6
	}{
		{"no limits", Dir{}, 6},
		{"count", Dir{KeepCalls: 4}, 4},
		{"count above what there is", Dir{KeepCalls: 10}, 6},
		{"age", Dir{KeepAge: 48 * time.Hour}, 3}, // 0, 1 and 2 days old; 3 days is older
		{"age exactly", Dir{KeepAge: 72 * time.Hour}, 4},
		{"bytes", Dir{KeepBytes: 2500}, 2},
		{"bytes exactly", Dir{KeepBytes: 3 * perCall}, 3},
		{"bytes below one call", Dir{KeepBytes: perCall - 1}, 0},
		{"count wins", Dir{KeepCalls: 1, KeepAge: 100 * time.Hour, KeepBytes: 10 * perCall}, 1},
		{"age wins", Dir{KeepCalls: 5, KeepAge: 30 * time.Hour, KeepBytes: 10 * perCall}, 2},
		{"bytes win", Dir{KeepCalls: 5, KeepAge: 100 * time.Hour, KeepBytes: 3500}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.dir.Path = dir
			var all []string
			for i := range 6 {
				start := now.Add(-time.Duration(5-i) * 24 * time.Hour) // oldest first
				all = append(all, put(t, dir, start, "call"+string(rune('a'+i)), map[string]int{"json": 600, "wav": 200, "part2.wav": 100, "txt": 100}))
			}
			p, err := tt.dir.Prune(now, "")
			if err != nil {
				t.Fatal(err)
			}
			gone, kept := all[:6-tt.keep], all[6-tt.keep:]
			want := Pruned{Calls: len(gone), Bases: gone, Files: 4 * len(gone), Bytes: int64(perCall * len(gone)), KeptCalls: len(kept), KeptBytes: int64(perCall * len(kept))}
			if len(want.Bases) == 0 {
				want.Bases = nil
			}
			if !equalPruned(p, want) {
				t.Errorf("Pruned %+v, want %+v", p, want)
			}
			if got := bases(t, dir); !slices.Equal(got, kept) {
				t.Errorf("left %v, want %v", got, kept)
			}
			if n := len(names(t, dir)); n != 4*len(kept) {
				t.Errorf("%d files left, want %d (whole calls)", n, 4*len(kept))
			}
			// A second pass finds nothing more to do.
			if p2, err := tt.dir.Prune(now, ""); err != nil || p2.Calls != 0 || p2.Files != 0 {
				t.Errorf("second Prune: %+v, %v", p2, err)
			}
		})
	}
}

func equalPruned(a, b Pruned) bool {
	return a.Calls == b.Calls && slices.Equal(a.Bases, b.Bases) && a.Files == b.Files && a.Bytes == b.Bytes &&
		a.Failed == b.Failed && a.KeptCalls == b.KeptCalls && a.KeptBytes == b.KeptBytes
}

// TestPruneAgeFromModTime: a call whose name holds no valid time is as
// old as its newest file.
func TestPruneAgeFromModTime(t *testing.T) {
	defer leaktest.Check(t)()
	dir := t.TempDir()
	for name, age := range map[string]time.Duration{
		"20261399T996000Z-old.json": 50 * time.Hour,
		"20261399T996000Z-old.wav":  49 * time.Hour,
		"20261399T996001Z-new.json": 50 * time.Hour,
		"20261399T996001Z-new.wav":  time.Hour, // still written an hour ago
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Dir{Path: dir, KeepAge: 48 * time.Hour}.Prune(now, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Calls != 1 || p.Bases[0] != "20261399T996000Z-old" {
		t.Errorf("Pruned %+v, want the call last written 49 hours ago", p)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"20261399T996001Z-new.json", "20261399T996001Z-new.wav"}) {
		t.Errorf("left %v", got)
	}
}

// TestPruneLeavesForeignFiles: with every limit at its tightest, what is
// not a call's file stays, whatever it is and however old: files of other
// names, directories and links named like calls, a link's target.
func TestPruneLeavesForeignFiles(t *testing.T) {
	defer leaktest.Check(t)()
	dir, elsewhere := t.TempDir(), t.TempDir()
	old := now.Add(-1000 * time.Hour)
	foreign := []string{"notes.txt", "20261202T143015Z.wav", "20261202T143015Z-x", "20261202T143015Z-x.wav.bak~", ".profile", ".notes.txt.tmp-1", "x20261202T143015Z-x.wav"}
	for _, n := range foreign {
		path := filepath.Join(dir, n)
		if err := os.WriteFile(path, make([]byte, 5000), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "20200101T000000Z-dir.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(elsewhere, "precious.wav")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "20200101T000000Z-link.wav")); err != nil {
		t.Fatal(err)
	}
	put(t, dir, old, "mine", map[string]int{"json": 10})
	before := len(names(t, dir))

	p, err := Dir{Path: dir, KeepCalls: 1, KeepAge: time.Second, KeepBytes: 1}.Prune(now, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Calls != 1 || p.Files != 1 || p.Bytes != 10 || p.KeptCalls != 0 || p.KeptBytes != 0 {
		t.Errorf("Pruned %+v, want only the one call, and the foreign files not counted", p)
	}
	if got := len(names(t, dir)); got != before-1 {
		t.Errorf("%d entries left of %d: %v", got, before, names(t, dir))
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("a link's target went: %v", err)
	}
}

// TestPruneSparesCallInProgress: the call named to Prune, and any call
// whose file a real writer is still writing (audio.WAVWriter's temporary
// file, atomicfile's), keep all their files, while they count against the
// limits; a temporary file abandoned long ago protects nothing and goes
// with its call. Whether a writer is alive is told by the wall clock, even
// when Prune is given another (a test's, or a kiosk's fake clock).
func TestPruneSparesCallInProgress(t *testing.T) {
	defer leaktest.Check(t)()
	dir := t.TempDir()
	d := Dir{Path: dir, KeepCalls: 1, KeepAge: time.Hour}
	// The clock of the file system, since the temporary files' times
	// come from it.
	wall := time.Now()
	old := wall.Add(-10 * time.Hour)
	named := put(t, dir, old, "named", map[string]int{"json": 100})
	recording := put(t, dir, old.Add(time.Second), "recording", map[string]int{"txt": 100})
	abandoned := put(t, dir, old.Add(2*time.Second), "abandoned", map[string]int{"json": 100})
	stale := filepath.Join(dir, "."+abandoned+".wav.part-12345")
	if err := os.WriteFile(stale, make([]byte, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	long := wall.Add(-AbandonedAfter - time.Minute)
	if err := os.Chtimes(stale, long, long); err != nil {
		t.Fatal(err)
	}
	w, err := audio.CreateWAV(d.File(recording, "wav"), audio.SampleRate, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.Write(make([]int16, 2*audio.SampleRate)); err != nil {
		t.Fatal(err)
	}

	later := wall.Add(90 * 24 * time.Hour)
	p, err := d.Prune(later, named)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Bases, []string{abandoned}) || p.Files != 2 || p.Bytes != 1100 {
		t.Errorf("Pruned %+v, want only %s, with its abandoned temporary file", p, abandoned)
	}
	if p.KeptCalls != 2 {
		t.Errorf("KeptCalls %d, want the 2 calls in progress", p.KeptCalls)
	}
	if got := bases(t, dir); !slices.Equal(got, []string{named, recording}) {
		t.Errorf("left %v", got)
	}

	// Once the recording is done, nothing protects its call but the
	// name given; a transcript being written in a newer call protects
	// that one instead.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	newer := d.CallBase(old.Add(3*time.Second), "newer")
	err = atomicfile.Write(d.File(newer, "json"), 0o644, func(f io.Writer) error {
		if _, err := f.Write(make([]byte, 50)); err != nil {
			return err
		}
		p, err := d.Prune(later, "")
		if !slices.Equal(p.Bases, []string{named, recording}) {
			t.Errorf("Pruned %+v (%v) while a transcript was written, want %s and %s", p, err, named, recording)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{newer + ".json"}) {
		t.Errorf("left %v, want the transcript written meanwhile", got)
	}
}

// TestPruneReportsWhatItCannotRemove: in a directory that refuses
// removals, Prune removes nothing, says which files and why, counts them,
// and bounds the list; a directory that does not exist is nothing to do.
func TestPruneReportsWhatItCannotRemove(t *testing.T) {
	defer leaktest.Check(t)()
	dir := t.TempDir()
	var all []string
	for i := range 8 {
		all = append(all, put(t, dir, now.Add(time.Duration(i)*time.Minute), "c", map[string]int{"json": 10}))
	}
	undo := readOnly(t, dir)
	p, err := Dir{Path: dir, KeepCalls: 1}.Prune(now.Add(time.Hour), "")
	undo()
	if err == nil {
		t.Fatal("no error")
	}
	if p.Calls != 0 || p.Files != 0 || p.Failed != 7 || p.KeptCalls != 8 {
		t.Errorf("Pruned %+v, want 7 failures and all 8 calls kept", p)
	}
	msg := err.Error()
	if !strings.Contains(msg, dir) || !strings.Contains(msg, all[0]+".json") || !strings.Contains(msg, "and 2 more") {
		t.Errorf("error %q does not name the directory, the first file and how many more", msg)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("error %q is not a permission error", msg)
	}
	if lines := strings.Count(msg, "\n"); lines > maxReported+1 {
		t.Errorf("error of %d lines", lines+1)
	}
	if got := len(bases(t, dir)); got != 8 {
		t.Errorf("%d calls left, want 8", got)
	}
	// Writable again, the next Prune does the job.
	if p, err := (Dir{Path: dir, KeepCalls: 1}).Prune(now.Add(time.Hour), ""); err != nil || p.Calls != 7 {
		t.Errorf("Prune once writable: %+v, %v", p, err)
	}

	if p, err := (Dir{Path: filepath.Join(dir, "none"), KeepCalls: 1}).Prune(now, ""); err != nil || p.Calls != 0 {
		t.Errorf("Prune of a directory that does not exist: %+v, %v", p, err)
	}
}

// readOnly makes dir refuse new and removed entries, in a way that holds
// for root too (CI runs the tests as root, whom permissions do not stop):
// the immutable attribute there, permissions otherwise. It skips the test
// when the file system offers neither, and returns how to undo it.
func readOnly(t *testing.T, dir string) func() {
	t.Helper()
	var undo func()
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("running as root, and the immutable attribute is not available here (%v: %s)", err, out)
		}
		undo = func() {
			if out, err := exec.Command("chattr", "-i", dir).CombinedOutput(); err != nil {
				t.Errorf("chattr -i %s: %v: %s", dir, err, out)
			}
		}
	} else {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		undo = func() {
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Error(err)
			}
		}
	}
	once := false
	t.Cleanup(func() {
		if !once {
			undo()
		}
	})
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(probe, nil, 0o644); err == nil {
		os.Remove(probe)
		undo()
		once = true
		t.Skip("the directory stays writable")
	}
	return func() {
		if !once {
			once = true
			undo()
		}
	}
}
