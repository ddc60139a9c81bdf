package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A scenario file is YAML a user wrote (or was handed). FuzzParseFile
// feeds the decoder arbitrary text, seeded with the repository's example
// scenarios: it never panics, and its answer is either a scenario or a
// bounded list of errors, each placed in the file and saying something.
func FuzzParseFile(f *testing.F) {
	dir := filepath.Join("..", "..", "testdata", "scenarios")
	for _, name := range []string{"book_table.yaml", "silence.yml", "broken/broken.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("turns:\n  - text: &a hi\n  - text: *a\n---\nturns: []\n"))
	f.Add([]byte("turns: [{silence: 1s, expect: {matches: '('}}]\ntimeout: -5s\n"))
	path := filepath.Join(dir, "fuzz.yaml")
	env := func(name string) string { return strings.ToLower(name) }
	f.Fuzz(func(t *testing.T, src []byte) {
		s, errs := parseFile(path, src, env)
		if (s == nil) == (len(errs) == 0) {
			t.Fatalf("scenario %v with %d errors", s != nil, len(errs))
		}
		if len(errs) > maxErrors+1 {
			t.Fatalf("%d errors, more than the %d listed", len(errs), maxErrors+1)
		}
		for _, e := range errs {
			if e.File != path || e.Msg == "" || e.Line < 0 || e.Column < 0 {
				t.Fatalf("error %+v is not placed in the file or says nothing", *e)
			}
			_ = e.Error()
		}
		if s != nil && len(s.Turns) == 0 {
			t.Fatal("a scenario without turns")
		}
	})
}

// TestOversizedFilesRefused: a scenario file over MaxFileBytes, and a
// secret file that is no secret (a megabyte of it), are refused by name
// without being read whole.
func TestOversizedFilesRefused(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("turns:\n"+strings.Repeat("  - text: hello\n", MaxFileBytes/16+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secret, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	withSecret := filepath.Join(dir, "secret.yaml")
	src := "connection:\n  url: ws://127.0.0.1:7880\n  api_key: devkey\n  api_secret_file: " + secret + "\nturns:\n  - text: hi\n"
	if err := os.WriteFile(withSecret, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		big:        "the file is larger than 1 MiB",
		withSecret: secret + " is larger than 64 KiB",
	} {
		_, err := Load([]string{path}, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", filepath.Base(path), err, want)
		}
	}
}
