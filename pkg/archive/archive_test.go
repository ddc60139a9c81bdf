package archive

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/failure"
)

func TestCallBase(t *testing.T) {
	defer leaktest.Check(t)()
	start := time.Date(2026, 12, 2, 15, 30, 15, 999e6, time.FixedZone("CET", 3600))
	long := strings.Repeat("a", MaxCallID+10)
	tests := []struct {
		id, want string
	}{
		{"17a0cb75-fa09-4bdd-9a44-92a70d829c88", "20261202T143015Z-17a0cb75-fa09-4bdd-9a44-92a70d829c88"},
		{"room_1", "20261202T143015Z-room_1"},
		{"../../etc/passwd", "20261202T143015Z-______etc_passwd"},
		{"a.b c/d", "20261202T143015Z-a_b_c_d"},
		{"größe", "20261202T143015Z-gr__e"},
		{"", "20261202T143015Z-call"},
		{long, "20261202T143015Z-" + long[:MaxCallID]},
	}
	var d Dir
	for _, tt := range tests {
		got := d.CallBase(start, tt.id)
		if got != tt.want {
			t.Errorf("CallBase(%q) = %q, want %q", tt.id, got, tt.want)
		}
		// Every base it makes is one Prune recognises as a call's.
		for _, ext := range []string{"json", "wav", "part2.wav"} {
			if base, ok := callFile(got + "." + ext); !ok || base != got {
				t.Errorf("%s.%s is not taken for a file of call %q (%q, %v)", got, ext, got, base, ok)
			}
		}
	}
	if got, want := (Dir{Path: "/var/lib/kiosk"}).File("B", "part2.wav"), "/var/lib/kiosk/B.part2.wav"; got != want {
		t.Errorf("File = %q, want %q", got, want)
	}
}

func TestFileNames(t *testing.T) {
	defer leaktest.Check(t)()
	const b = "20261202T143015Z-abc"
	calls := map[string]string{
		b + ".json":              b,
		b + ".part12.wav":        b,
		b + ".vtt":               b,
		"20261399T996000Z-x.txt": "20261399T996000Z-x", // no valid time: still a call's (its mtime counts)
	}
	temps := map[string]string{
		"." + b + ".wav.part-3928174": b,
		"." + b + ".part2.wav.part-1": b,
		"." + b + ".json.tmp-77":      b,
		"." + b + ".txt.check-2838":   b,
	}
	foreign := []string{
		"notes.txt", b, b + ".", b + ".wav.bak~", "20261202T143015Z.wav", "20261202T1430Z-abc.wav",
		"x" + b + ".wav", b + ".a.b.c.d.e", "." + b + ".wav", "." + b + ".wav.part-", ".notes.txt.tmp-1",
		"20261202T143015Z-" + strings.Repeat("i", MaxCallID+1) + ".wav", ".webcall-check-123",
	}
	for name, want := range calls {
		if base, ok := callFile(name); !ok || base != want {
			t.Errorf("callFile(%q) = %q, %v; want %q", name, base, ok, want)
		}
	}
	for name, want := range temps {
		if base, ok := tempFile(name); !ok || base != want {
			t.Errorf("tempFile(%q) = %q, %v; want %q", name, base, ok, want)
		}
		if _, ok := callFile(name); ok {
			t.Errorf("unfinished file %q taken for a finished one", name)
		}
	}
	for _, name := range foreign {
		if _, ok := callFile(name); ok {
			t.Errorf("%q taken for a call's file", name)
		}
		if _, ok := tempFile(name); ok {
			t.Errorf("%q taken for a call's unfinished file", name)
		}
	}
}

func TestCheck(t *testing.T) {
	defer leaktest.Check(t)()
	root := t.TempDir()
	file := filepath.Join(root, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	nested := filepath.Join(root, "new", "calls")
	if err := (Dir{Path: nested}).Check(); err != nil {
		t.Fatalf("Check of a directory to create: %v", err)
	}
	if st, err := os.Stat(nested); err != nil || !st.IsDir() || st.Mode().Perm()&0o007 != 0 {
		t.Fatalf("created %v (%v), want a directory closed to others", st, err)
	}
	if entries, _ := os.ReadDir(nested); len(entries) != 0 {
		t.Errorf("Check left %d files behind", len(entries))
	}

	tests := []struct {
		name string
		dir  Dir
		want []string // in the message
	}{
		{"no path", Dir{}, []string{"no directory"}},
		{"negative limit", Dir{Path: root, KeepAge: -time.Hour}, []string{root, "negative"}},
		{"a file", Dir{Path: file}, []string{file, "not a directory"}},
		{"under a file", Dir{Path: filepath.Join(file, "calls")}, []string{file, "not a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.dir.Check()
			if err == nil {
				t.Fatal("no error")
			}
			if failure.KindOf(err) != failure.Input || failure.HintOf(err) == "" {
				t.Errorf("error %v: kind %v, hint %q; want an input error with a hint", err, failure.KindOf(err), failure.HintOf(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}

	t.Run("not writable", func(t *testing.T) {
		ro := filepath.Join(root, "ro")
		if err := os.Mkdir(ro, 0o755); err != nil {
			t.Fatal(err)
		}
		undo := readOnly(t, ro)
		defer undo()
		err := (Dir{Path: ro}).Check()
		if err == nil || !strings.Contains(err.Error(), ro) || failure.KindOf(err) != failure.Input {
			t.Errorf("Check of a directory that cannot be written: %v", err)
		}
	})
}
