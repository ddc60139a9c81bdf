package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// goModVersions asks the go command which version of each module this
// repository's go.mod selects (a replacement's, where go.mod replaces one).
func goModVersions(t *testing.T, modules []string) map[string]string {
	t.Helper()
	args := append([]string{"list", "-m", "-f", "{{.Path}} {{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}"}, modules...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	got := map[string]string{}
	for line := range strings.Lines(string(out)) {
		path, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		got[path] = v
	}
	return got
}

// runVersion runs `webcall version --json` on bin and parses it.
func runVersion(t *testing.T, bin string) buildInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("webcall version --json: %v", err)
	}
	var b buildInfo
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("webcall version --json does not parse: %v\n%s", err, out)
	}
	return b
}

// TestVersionMatchesGoMod: the built binary reports the SDK, protocol
// and pion versions go.mod selects, and the Go it was built with; the
// text and --version say the same.
func TestVersionMatchesGoMod(t *testing.T) {
	inParallel(t)
	b := runVersion(t, webcallBin)
	want := goModVersions(t, versionModules)
	for _, m := range versionModules {
		if want[m] == "" {
			t.Fatalf("go list -m found no version of %s", m)
		}
		if b.Modules[m] != want[m] {
			t.Errorf("version --json: %s = %q, go.mod selects %q", m, b.Modules[m], want[m])
		}
	}
	if b.Go != runtime.Version() {
		t.Errorf("version --json: go = %q, want %q (the toolchain that built it)", b.Go, runtime.Version())
	}
	if b.Platform != runtime.GOOS+"/"+runtime.GOARCH || b.Version == "" {
		t.Errorf("version --json: version %q, platform %q", b.Version, b.Platform)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	text := runBin(t, ctx, nil, "version")
	flag := runBin(t, ctx, nil, "--version")
	if text.code != 0 || flag.code != 0 {
		t.Fatalf("version: exit %d (%s); --version: exit %d (%s)", text.code, text.stderr, flag.code, flag.stderr)
	}
	if flag.stdout != text.stdout {
		t.Errorf("webcall --version and webcall version differ:\n%s\n---\n%s", flag.stdout, text.stdout)
	}
	if first, _, _ := strings.Cut(text.stdout, "\n"); first != "webcall version "+b.Version {
		t.Errorf("first line %q, want %q", first, "webcall version "+b.Version)
	}
	for _, m := range versionModules {
		if !strings.Contains(text.stdout, m+" ") || !strings.Contains(text.stdout, want[m]) {
			t.Errorf("webcall version does not show %s %s:\n%s", m, want[m], text.stdout)
		}
	}
	if !strings.Contains(text.stdout, runtime.Version()) {
		t.Errorf("webcall version does not show the Go version:\n%s", text.stdout)
	}
}

// TestVersionStamped builds webcall as the Makefile does, with the
// version and commit in -ldflags, and checks both are reported.
func TestVersionStamped(t *testing.T) {
	inParallel(t)
	if testing.Short() {
		t.Skip("builds webcall")
	}
	bin := filepath.Join(t.TempDir(), "webcall")
	const v, rev = "v1.2.3-test", "0123456789abcdef0123456789abcdef01234567"
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+v+" -X main.commit="+rev, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	b := runVersion(t, bin)
	if b.Version != v || b.Commit != rev {
		t.Errorf("version --json: version %q commit %q, want %q and %q", b.Version, b.Commit, v, rev)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "webcall version "+v+"\n") || !strings.Contains(string(out), rev) {
		t.Errorf("--version:\n%s\nwant the stamped version first and the commit", out)
	}
}

// TestVersionRefusesArguments: a mistyped flag or an argument is a usage
// error with a pointer to --help, not a version printed anyway.
func TestVersionRefusesArguments(t *testing.T) {
	for _, args := range [][]string{{"version", "extra"}, {"version", "--jsno"}} {
		r := runMain(t, nil, args...)
		if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, "--help") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and a hint", args, r.code, r.stdout, r.stderr, exitUsage)
		}
	}
}
