package golden

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that keeps what Assert reports.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, format)
}

func TestAssert(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.golden")
	if err := os.WriteFile(path, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Assert(r, path, "one\ntwo\n")
	Assert(r, path, []byte("one\ntwo\n"))
	if len(r.errors) != 0 {
		t.Fatalf("equal output reported: %v", r.errors)
	}
	Assert(r, path, "one\nthree\n")
	if len(r.errors) != 1 {
		t.Fatalf("different output not reported")
	}
}

func TestUpdateWritesTheFile(t *testing.T) {
	*update = true
	defer func() { *update = false }()
	path := filepath.Join(t.TempDir(), "new", "out.golden")
	Assert(t, path, "fresh\n")
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "fresh\n" {
		t.Errorf("after -update the file holds %q (%v), want the output", got, err)
	}
}

func TestFirstDifference(t *testing.T) {
	tests := []struct{ got, want, says string }{
		{"a\nb\n", "a\nc\n", `line 2: got "b\n", want "c\n"`},
		{"a\n", "a\nb\n", `line 2: got "", want "b\n"`},
		{"a", "a\n", `line 1: got "a", want "a\n"`},
	}
	for _, tt := range tests {
		if got := firstDifference(tt.got, tt.want); !strings.Contains(got, tt.says) {
			t.Errorf("firstDifference(%q, %q) = %q, want %q", tt.got, tt.want, got, tt.says)
		}
	}
}
