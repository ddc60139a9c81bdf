package release

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// fakeSystem is a machine with exactly these commands and files.
func fakeSystem(commands, files []string) System {
	has := func(list []string, x string) bool {
		for _, y := range list {
			if y == x {
				return true
			}
		}
		return false
	}
	return System{
		LookPath: func(name string) (string, error) {
			if has(commands, name) {
				return "/usr/bin/" + name, nil
			}
			return "", errors.New("not found")
		},
		Stat: func(name string) (os.FileInfo, error) {
			if has(files, name) {
				return nil, nil
			}
			return nil, fs.ErrNotExist
		},
	}
}

var (
	allCommands = []string{"aarch64-linux-gnu-gcc", "qemu-aarch64-static", "readelf"}
	allFiles    = []string{
		"/lib/ld-linux-aarch64.so.1",
		"/usr/lib/aarch64-linux-gnu/pkgconfig/opus.pc",
		"/usr/lib/aarch64-linux-gnu/pkgconfig/opusfile.pc",
		"/usr/lib/aarch64-linux-gnu/pkgconfig/vorbisfile.pc",
		"/usr/lib/aarch64-linux-gnu/pkgconfig/soxr.pc",
		"/usr/lib/aarch64-linux-gnu/pkgconfig/portaudio-2.0.pc",
		"/usr/lib/aarch64-linux-gnu/pkgconfig/speexdsp.pc",
	}
)

func without(list []string, x string) []string {
	var out []string
	for _, y := range list {
		if y != x {
			out = append(out, y)
		}
	}
	return out
}

// Each missing piece is reported with the Debian package that provides
// it, and nothing else is: the skip or failure message is the user's
// install line.
func TestMissingNamesThePackage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		commands []string
		files    []string
		want     []string
	}{
		{"everything there", allCommands, allFiles, nil},
		{"no qemu", without(allCommands, "qemu-aarch64-static"), allFiles, []string{"qemu-user-static"}},
		{"no cross compiler", without(allCommands, "aarch64-linux-gnu-gcc"), allFiles, []string{"gcc-aarch64-linux-gnu"}},
		{"no arm64 libc", allCommands, without(allFiles, "/lib/ld-linux-aarch64.so.1"), []string{"libc6:arm64"}},
		{"no arm64 portaudio", allCommands, without(allFiles, "/usr/lib/aarch64-linux-gnu/pkgconfig/portaudio-2.0.pc"), []string{"portaudio19-dev:arm64"}},
		{"a bare machine", nil, nil, []string{
			"gcc-aarch64-linux-gnu", "qemu-user-static", "binutils", "libc6:arm64",
			"libopus-dev:arm64", "libopusfile-dev:arm64", "libvorbis-dev:arm64",
			"libsoxr-dev:arm64", "portaudio19-dev:arm64", "libspeexdsp-dev:arm64",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, n := range Missing(fakeSystem(tc.commands, tc.files)) {
				got = append(got, n.Package)
				if n.What == "" {
					t.Errorf("need %s says nothing about what is missing", n.Package)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("missing packages %q, want %q", got, tc.want)
			}
		})
	}
}

// The install line names each package once, in the order of Needs.
func TestInstallHint(t *testing.T) {
	got := installHint(Missing(fakeSystem(without(allCommands, "qemu-aarch64-static"), without(allFiles, "/lib/ld-linux-aarch64.so.1"))))
	for _, want := range []string{"qemu-aarch64-static", "libc6:arm64", "qemu-user-static", "make release-deps"} {
		if !strings.Contains(got, want) {
			t.Errorf("hint %q does not name %q", got, want)
		}
	}
}
