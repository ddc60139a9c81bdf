// Package release tests webcall's release builds where they run: the
// linux/arm64 binary that scripts/release.sh cross-compiles is run under
// qemu-user on this (amd64) machine, and makes a real call to the local
// LiveKit server and the test agent. Kiosks run on small ARM boards; a
// cross build that links but cannot call would otherwise be found there.
//
// This file says what the test needs on the machine, so that a missing
// piece is one line naming the Debian package, not a page of cgo errors.
// It starts no goroutine.
package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Arm64Triplet is Debian's multiarch name for arm64: the directory of its
// libraries and the prefix of the cross toolchain's commands.
const Arm64Triplet = "aarch64-linux-gnu"

// Qemu is the user-mode emulator that runs the arm64 binary. The static
// build needs no arm64 libraries of its own.
const Qemu = "qemu-aarch64-static"

// Arm64Loader is the dynamic loader named in the arm64 binary's
// PT_INTERP. libc6:arm64 puts it there, and qemu-user opens it (and,
// through it, the multiarch libraries in /usr/lib/aarch64-linux-gnu) from
// the host's file system, so no -L prefix is needed. (With -L
// /usr/aarch64-linux-gnu, the cross toolchain's libc, qemu 7.2 spun at
// full CPU for minutes without `webcall version` printing a line.)
const Arm64Loader = "/lib/ld-linux-aarch64.so.1"

// Need is one thing the arm64 build and its run need, and the Debian
// package that provides it.
type Need struct {
	What    string // what is missing, in words
	Package string // the Debian package to install
	present func(System) bool
}

// System is what Missing looks at: the PATH and the file system.
type System struct {
	LookPath func(file string) (string, error)
	Stat     func(name string) (os.FileInfo, error)
}

// Host is the System of this machine.
var Host = System{LookPath: exec.LookPath, Stat: os.Stat}

func command(name string) func(System) bool {
	return func(s System) bool { _, err := s.LookPath(name); return err == nil }
}

func file(path string) func(System) bool {
	return func(s System) bool { _, err := s.Stat(path); return err == nil }
}

// pcFile is the arm64 pkg-config file of a cgo library.
func pcFile(module string) func(System) bool {
	return file(filepath.Join("/usr/lib", Arm64Triplet, "pkgconfig", module+".pc"))
}

// Needs lists everything, in the order a reader would install it. The
// pkg-config modules are those the `#cgo pkg-config` lines of the
// packages webcall links ask for (scripts/release.sh checks the same).
var Needs = []Need{
	{"the arm64 cross compiler " + Arm64Triplet + "-gcc", "gcc-aarch64-linux-gnu", command(Arm64Triplet + "-gcc")},
	{"the user-mode emulator " + Qemu, "qemu-user-static", command(Qemu)},
	{"readelf", "binutils", command("readelf")},
	{"the arm64 dynamic loader " + Arm64Loader, "libc6:arm64", file(Arm64Loader)},
	{"the arm64 pkg-config file of opus", "libopus-dev:arm64", pcFile("opus")},
	{"the arm64 pkg-config file of opusfile", "libopusfile-dev:arm64", pcFile("opusfile")},
	{"the arm64 pkg-config file of vorbisfile", "libvorbis-dev:arm64", pcFile("vorbisfile")},
	{"the arm64 pkg-config file of soxr", "libsoxr-dev:arm64", pcFile("soxr")},
	{"the arm64 pkg-config file of portaudio-2.0", "portaudio19-dev:arm64", pcFile("portaudio-2.0")},
	{"the arm64 pkg-config file of speexdsp", "libspeexdsp-dev:arm64", pcFile("speexdsp")},
}

// Missing returns the needs that s does not meet.
func Missing(s System) []Need {
	var out []Need
	for _, n := range Needs {
		if !n.present(s) {
			out = append(out, n)
		}
	}
	return out
}

// installHint says what is missing and how to install it, in one line.
func installHint(missing []Need) string {
	whats := make([]string, len(missing))
	pkgs := make([]string, len(missing))
	for i, n := range missing {
		whats[i] = n.What + " (" + n.Package + ")"
		pkgs[i] = n.Package
	}
	return "missing " + strings.Join(whats, ", ") +
		": run `make release-deps` (or apt-get install " + strings.Join(pkgs, " ") + " after dpkg --add-architecture arm64)"
}
