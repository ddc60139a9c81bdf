package release

import (
	"bufio"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// PrebuiltEnv names an arm64 binary `make release` already made
// (dist/webcall-VERSION-linux-arm64, absolute or relative to the
// repository): the test runs it instead of building its own, and takes
// its version from its name.
const PrebuiltEnv = "WEBCALL_RELEASE_ARM64"

// testVersion is stamped into the binary the test builds, so that the
// version it reports can only have come from the release build's ldflags.
const testVersion = "v0.0.0-arm64-release-test"

// buildTimeout bounds the cross build: a cold build of webcall and its
// dependencies for arm64 took 4.5 minutes on these shared 2-core machines.
const buildTimeout = 15 * time.Minute

// arm64Build is the binary under test and what it should report.
type arm64Build struct {
	path    string
	version string
	commit  string // empty: not known (a prebuilt binary)
}

// theArm64Build returns the prebuilt binary when PrebuiltEnv names one,
// and otherwise builds one with scripts/release.sh, as `make release` does,
// checking what the script says and writes along the way.
func theArm64Build(t *testing.T, root string) arm64Build {
	t.Helper()
	if p := os.Getenv(PrebuiltEnv); p != "" {
		// As the README writes it: relative to the repository, where
		// `make release` puts dist/, not to this package's directory.
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		m := regexp.MustCompile(`^webcall-(.+)-linux-arm64$`).FindStringSubmatch(filepath.Base(p))
		if m == nil {
			t.Fatalf("%s=%s: want a file named webcall-VERSION-linux-arm64, as `make release` writes", PrebuiltEnv, p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: %v", PrebuiltEnv, err)
		}
		return arm64Build{path: p, version: m[1]}
	}
	commit := gitHead(t, root)
	dist := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "release.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "VERSION="+testVersion, "COMMIT="+commit, "DIST="+dist, "TARGETS=linux/arm64")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("scripts/release.sh (linux/arm64) took %s:\n%s", time.Since(start).Round(time.Second), out)
	if err != nil {
		t.Fatalf("scripts/release.sh: %v", err)
	}
	b := arm64Build{path: filepath.Join(dist, "webcall-"+testVersion+"-linux-arm64"), version: testVersion, commit: commit}
	checkELF(t, b.path, string(out))
	checkSums(t, dist, b.path)
	return b
}

func gitHead(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.Command("git", "rev-parse", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD (the commit to stamp in): %v", err)
	}
	return strings.TrimSpace(string(out))
}

// boardPackages are the Debian packages of the libraries the arm64 build
// links: what a board must have installed.
var boardPackages = map[string]string{
	"libopus.so.0":       "libopus0",
	"libopusfile.so.0":   "libopusfile0",
	"libvorbisfile.so.3": "libvorbisfile3",
	"libsoxr.so.0":       "libsoxr0",
	"libportaudio.so.2":  "libportaudio2",
	"libspeexdsp.so.1":   "libspeexdsp1",
	"libc.so.6":          "libc6",
}

// checkELF checks that the binary is an arm64 program for the loader
// libc6:arm64 installs, and that the script listed every library the ELF
// file needs, each with the package a board installs it from.
func checkELF(t *testing.T, path, scriptOut string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("read the arm64 build: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("the arm64 build is for %s", f.Machine)
	}
	if interp := elfInterp(t, f); interp != Arm64Loader {
		t.Errorf("the arm64 build's loader is %q, want %q", interp, Arm64Loader)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatalf("read the arm64 build's NEEDED entries: %v", err)
	}
	listed := map[string]string{}
	for _, line := range strings.Split(scriptOut, "\n") {
		if fields := strings.Fields(line); len(fields) == 2 && strings.Contains(fields[0], ".so.") {
			listed[fields[0]] = fields[1]
		}
	}
	for _, lib := range libs {
		want, known := boardPackages[lib]
		if !known {
			t.Errorf("the arm64 build needs %s, which this test does not know a package for", lib)
			continue
		}
		if listed[lib] != want {
			t.Errorf("scripts/release.sh says %s comes from %q, want %q", lib, listed[lib], want)
		}
	}
	if len(libs) < len(boardPackages) {
		t.Errorf("the arm64 build needs only %q: were the cgo libraries linked?", libs)
	}
	if !strings.Contains(scriptOut, "on the board: apt-get install libc6 libopus0") {
		t.Errorf("scripts/release.sh gave no install line for the board")
	}
}

// elfInterp returns the program interpreter an ELF file names.
func elfInterp(t *testing.T, f *elf.File) string {
	t.Helper()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				t.Fatalf("read PT_INTERP: %v", err)
			}
			return strings.TrimRight(string(b), "\x00")
		}
	}
	return ""
}

// checkSums checks that dist/SHA256SUMS holds the binary's sum under its
// bare name, in sha256sum's format, and nothing else.
func checkSums(t *testing.T, dist, bin string) {
	t.Helper()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:]) + "  " + filepath.Base(bin)
	f, err := os.Open(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatalf("SHA256SUMS: %v", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 1 || lines[0] != want {
		t.Errorf("SHA256SUMS holds %q, want %q", lines, want)
	}
	if left, _ := filepath.Glob(filepath.Join(dist, "*.part")); len(left) > 0 {
		t.Errorf("the release left temporary files: %q", left)
	}
}
