// Package golden compares a test's rendered output with a file kept in the
// repository (a golden file), the way restic's tests do:
//
//	golden.Assert(t, "testdata/plain.golden", out.Bytes())
//
// Run the test binary with -update to write what the tests produce into
// the files instead (go test ./pkg/transcript -run TestPlain -update),
// then read the diff before committing it.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files with what the tests produce")

// Assert fails t unless got equals the contents of the file at path; with
// -update it writes got to the file instead (creating its directory).
func Assert[T ~string | ~[]byte](t testing.TB, path string, got T) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the golden file (go test -update writes it): %v", err)
	}
	if !bytes.Equal([]byte(got), want) {
		t.Errorf("output differs from %s at %s (go test -update rewrites the file):\n--- got\n%s\n--- want\n%s",
			path, firstDifference(string(got), string(want)), got, want)
	}
}

// firstDifference names the first line where got and want differ.
func firstDifference(got, want string) string {
	g, w := strings.SplitAfter(got, "\n"), strings.SplitAfter(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, gl, wl)
		}
	}
	return "the end"
}
