package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/webcall-cli/webcall/pkg/audio/device"
)

// shellFor finds a shell the tests load a completion script into. make
// deps installs them; CI must have them, a developer's machine may not.
func shellFor(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; make deps installs it", name)
		}
		t.Skipf("%s is not installed (make deps installs it)", name)
	}
	return path
}

// completionScript is what `webcall completion SHELL` prints, written to
// a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	r := runMain(t, nil, "completion", shell)
	if r.code != 0 || r.stderr != "" || len(r.stdout) < 1000 {
		t.Fatalf("completion %s: exit %d, %d bytes, stderr %q", shell, r.code, len(r.stdout), r.stderr)
	}
	path := filepath.Join(t.TempDir(), "webcall."+shell)
	if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// shellRun runs a shell with a PATH that finds the webcall under test
// first, in dir.
func shellRun(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + filepath.Dir(webcallBin) + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TERM=dumb"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// TestCompletionScripts: each script is valid in its shell and loads.
func TestCompletionScripts(t *testing.T) {
	t.Run("bash", func(t *testing.T) {
		bash := shellFor(t, "bash")
		script := completionScript(t, "bash")
		shellRun(t, t.TempDir(), bash, "-n", script)
		out := shellRun(t, t.TempDir(), bash, "-c", `source "$1" && complete -p webcall`, "bash", script)
		if !strings.Contains(out, "__start_webcall") {
			t.Errorf("the bash script registers no completion for webcall: %q", out)
		}
	})
	t.Run("zsh", func(t *testing.T) {
		zsh := shellFor(t, "zsh")
		script := completionScript(t, "zsh")
		shellRun(t, t.TempDir(), zsh, "-n", script)
		dump := filepath.Join(t.TempDir(), "zcompdump")
		out := shellRun(t, t.TempDir(), zsh, "-f", "-c",
			`autoload -U compinit && compinit -u -d "$2" && source "$1" && print -r -- $_comps[webcall]`, "zsh", script, dump)
		if strings.TrimSpace(out) != "_webcall" {
			t.Errorf("the zsh script does not make _webcall webcall's completion: %q", out)
		}
	})
	t.Run("fish", func(t *testing.T) {
		fish := shellFor(t, "fish")
		script := completionScript(t, "fish")
		shellRun(t, t.TempDir(), fish, "--no-config", "--no-execute", script)
	})
	t.Run("no descriptions", func(t *testing.T) {
		with, without := runMain(t, nil, "completion", "fish"), runMain(t, nil, "completion", "fish", "--no-descriptions")
		if without.code != 0 || !strings.Contains(without.stdout, "__completeNoDesc") || strings.Contains(with.stdout, "__completeNoDesc") {
			t.Errorf("--no-descriptions: exit %d; the script should ask __completeNoDesc, and only then", without.code)
		}
	})
	t.Run("powershell", func(t *testing.T) {
		script, err := os.ReadFile(completionScript(t, "powershell"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(script), "Register-ArgumentCompleter") || !strings.Contains(string(script), "webcall") {
			t.Errorf("the PowerShell script registers no completer for webcall")
		}
	})
}

// TestCompletionHelpTeachesInstall: --help says how to install the script
// in each shell.
func TestCompletionHelpTeachesInstall(t *testing.T) {
	r := runMain(t, nil, "completion", "--help")
	for _, want := range []string{
		"source <(webcall completion bash)",
		"webcall completion zsh > ~/.zfunc/_webcall",
		"webcall completion fish > ~/.config/fish/completions/webcall.fish",
		"webcall completion powershell | Out-String | Invoke-Expression",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("completion --help does not show %q:\n%s", want, r.stdout)
		}
	}
}

func TestCompletionRefusesUnknownShell(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		r := runMain(t, nil, args...)
		if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, "bash, zsh, fish or powershell") || !strings.Contains(r.stderr, "completion --help") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d naming the shells", args, r.code, r.stdout, r.stderr, exitUsage)
		}
	}
}

// completions runs cobra's __complete request through Main, as the shell
// scripts do, and returns the values offered (descriptions cut off) and
// the directive line.
func completions(t *testing.T, env map[string]string, args ...string) (values []string, directive string) {
	t.Helper()
	r := runMain(t, env, append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %q: exit %d\n%s", args, r.code, r.stderr)
	}
	for line := range strings.Lines(r.stdout) {
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(line, ":") {
			directive = line
			continue
		}
		value, _, _ := strings.Cut(line, "\t")
		values = append(values, value)
	}
	return values, directive
}

// TestCompleteFlagValues asks the real command tree for completions the
// way the shells do.
func TestCompleteFlagValues(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.wav", "b.MP3", "c.txt", "d.flac", "scen.yaml", ".hidden.wav"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	d := dir + "/"
	const (
		noFiles      = ":4"  // ShellCompDirectiveNoFileComp
		noFilesSpace = ":6"  // ... | ShellCompDirectiveNoSpace: a directory goes on
		byExtension  = ":8"  // ShellCompDirectiveFilterFileExt
		dirsOnly     = ":16" // ShellCompDirectiveFilterDirs
	)
	for _, tc := range []struct {
		args      []string
		env       map[string]string
		want      []string
		directive string
	}{
		{[]string{"call", "--format", ""}, nil, []string{"text", "json"}, noFiles},
		{[]string{"call", "-f", "j"}, nil, []string{"json"}, noFiles},
		{[]string{"call", "--provider", ""}, nil, []string{"hms"}, noFiles},
		{[]string{"test", "--provider", "h"}, nil, []string{"hms"}, noFiles},
		{[]string{"call", "--input", d}, nil, []string{d + "a.wav", d + "b.MP3", d + "d.flac", d + "sub/"}, noFilesSpace},
		{[]string{"call", "--input", "m"}, nil, []string{"mic"}, noFiles},
		{[]string{"call", "-i", d + "."}, nil, []string{d + ".hidden.wav"}, noFiles},
		{[]string{"call", "--output", ""}, nil, nil, ""}, // checked below: speaker first
		{[]string{"call", "--output", d}, nil, []string{d + "a.wav", d + "sub/"}, noFilesSpace},
		{[]string{"call", "--record", d + "a"}, nil, []string{d + "a.wav"}, noFiles},
		{[]string{"call", "--url", ""}, map[string]string{envURL: "wss://x.livekit.cloud"}, []string{"wss://x.livekit.cloud", "ws://127.0.0.1:7880"}, noFiles},
		{[]string{"call", "--api-secret", ""}, nil, nil, noFiles},
		{[]string{"call", "--wait-agent", ""}, nil, nil, noFiles},
		{[]string{"call", ""}, nil, nil, noFiles}, // call takes flags only
		{[]string{"test", ""}, nil, []string{"yaml", "yml"}, byExtension},
		{[]string{"test", "--report", d}, nil, []string{d + "sub/"}, noFilesSpace},
		{[]string{"test", "--record-dir", ""}, nil, nil, dirsOnly},
		{[]string{"report", "merge", ""}, nil, []string{"json"}, byExtension},
		{[]string{"completion", ""}, nil, []string{"bash", "zsh", "fish", "powershell"}, noFiles},
		{[]string{""}, nil, nil, noFiles},
	} {
		got, directive := completions(t, tc.env, tc.args...)
		if tc.want == nil && tc.directive == "" {
			continue
		}
		if tc.want != nil && !slices.Equal(got, tc.want) || directive != tc.directive {
			t.Errorf("__complete %q: %q %s, want %q %s", tc.args, got, directive, tc.want, tc.directive)
		}
	}

	// Words before files, whatever is in the current directory.
	if got, _ := completions(t, nil, "call", "--output", ""); len(got) == 0 || got[0] != "speaker" {
		t.Errorf("__complete call --output '': %q, want speaker first", got)
	}
	// Every command is offered at the top, with version and completion.
	got, _ := completions(t, nil, "")
	for _, want := range []string{"call", "token", "devices", "test", "report", "version", "completion"} {
		if !slices.Contains(got, want) {
			t.Errorf("__complete '': %q lacks %s", got, want)
		}
	}
	// The shard flag explains itself rather than offering files.
	r := runMain(t, nil, "__complete", "test", "--shard", "")
	if !strings.Contains(r.stdout, "_activeHelp_ K/N") || !strings.HasSuffix(strings.TrimSpace(r.stdout), noFiles) {
		t.Errorf("__complete test --shard '': %q, want active help on K/N and no files", r.stdout)
	}
}

// TestCompletionInBash drives the real bash script with the real binary:
// what a user's Tab press would do, COMP_WORDS in, COMPREPLY out.
func TestCompletionInBash(t *testing.T) {
	inParallel(t)
	bash := shellFor(t, "bash")
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("bash-completion is not installed; make deps installs it")
		}
		t.Skip("bash-completion is not installed (make deps installs it)")
	}
	script := completionScript(t, "bash")
	dir := t.TempDir()
	for _, name := range []string{"hello.wav", "notes.txt", "scenario.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The words of a command line, the last one being completed, into
	// the completion function; COMPREPLY out. compopt works only under
	// a real Tab press: here it does nothing.
	const driver = `
source "$1"; source "$2"; shift 2
compopt() { :; }
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
__start_webcall
printf '%s\n' "${COMPREPLY[@]}"`
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{"webcall", "ca"}, []string{"call"}},
		{[]string{"webcall", "call", "--form"}, []string{"--format"}},
		{[]string{"webcall", "call", "--format", ""}, []string{"text", "json"}},
		{[]string{"webcall", "call", "--input", ""}, []string{"mic", "hello.wav"}},
		{[]string{"webcall", "test", ""}, []string{"scenario.yaml"}},
		{[]string{"webcall", "completion", "f"}, []string{"fish"}},
	} {
		out := shellRun(t, dir, bash, append([]string{"-c", driver, "bash", bashCompletion, script}, tc.words...)...)
		var got []string
		for line := range strings.Lines(out) {
			if v := strings.TrimSpace(line); v != "" {
				// With descriptions on, bash shows "value  (description)"
				// when there are several; the value is the first field.
				got = append(got, strings.Fields(v)[0])
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("bash completes %q to %q, want %q", tc.words, got, tc.want)
		}
	}
}

// TestCompletionInFish: fish loads the script and completes through the
// binary.
func TestCompletionInFish(t *testing.T) {
	inParallel(t)
	fish := shellFor(t, "fish")
	script := completionScript(t, "fish")
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"webcall call --format ", []string{"text", "json"}},
		{"webcall completion z", []string{"zsh"}},
		{"webcall call --provider ", []string{"hms"}},
	} {
		out := shellRun(t, t.TempDir(), fish, "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, script, tc.line)
		var got []string
		for line := range strings.Lines(out) {
			if v, _, _ := strings.Cut(strings.TrimRight(line, "\n"), "\t"); v != "" {
				got = append(got, v)
			}
		}
		// fish sorts what it offers.
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("fish completes %q to %q, want %q", tc.line, got, tc.want)
		}
	}
}

// TestDeviceNamesByDirection: each device flag offers only the devices
// that can serve it, the default marked; a listing that fails offers no
// files.
func TestDeviceNamesByDirection(t *testing.T) {
	devs := []device.Info{
		{Index: 0, Name: "USB Headset", InputChannels: 1, OutputChannels: 2},
		{Index: 1, Name: "Built-in Mic", InputChannels: 2, DefaultInput: true},
		{Index: 2, Name: "HDMI", OutputChannels: 8, DefaultOutput: true},
	}
	list := func(context.Context, *slog.Logger) ([]device.Info, error) { return devs, nil }
	cmd := &cobra.Command{}
	for _, tc := range []struct {
		dir    device.Direction
		prefix string
		want   []string
	}{
		{device.Input, "", []string{"USB Headset\tindex 0, 1 input channels", "Built-in Mic\tindex 1, 2 input channels, the default"}},
		{device.Output, "", []string{"USB Headset\tindex 0, 2 output channels", "HDMI\tindex 2, 8 output channels, the default"}},
		{device.Output, "H", []string{"HDMI\tindex 2, 8 output channels, the default"}},
	} {
		got, directive := deviceNames(list, tc.dir)(cmd, nil, tc.prefix)
		if !slices.Equal(got, tc.want) || directive != cobra.ShellCompDirectiveNoFileComp {
			t.Errorf("%s devices for %q: %q (%d), want %q", tc.dir, tc.prefix, got, directive, tc.want)
		}
	}
	failing := func(context.Context, *slog.Logger) ([]device.Info, error) { return nil, errors.New("no PortAudio") }
	got, directive := deviceNames(failing, device.Input)(cmd, nil, "")
	if len(got) != 1 || !strings.HasPrefix(got[0], "_activeHelp_ ") || directive != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("failed listing: %q (%d), want one active help line and no files", got, directive)
	}
}

// TestCompletionInZsh runs the zsh script's function with the real binary.
// Outside a Tab press zsh has no completion widgets, so the three the
// script hands its results to are stubs that print what they are given:
// the script's own logic and the binary's answers are what is checked.
func TestCompletionInZsh(t *testing.T) {
	inParallel(t)
	zsh := shellFor(t, "zsh")
	script := completionScript(t, "zsh")
	const driver = `
compdef() { :; }
source "$1"; shift
_describe() { local a; for a; do if [[ $a == completions ]]; then print -rl -- "${completions[@]}"; return 0; fi; done; return 1 }
compadd() { print -r -- "compadd $*"; }
_arguments() { print -r -- "_arguments $*"; }
words=("$@"); CURRENT=$#
_webcall`
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{"webcall", "call", "--format", ""}, []string{"text:one line per final sentence", "json:JSON Lines events, one per line"}},
		{[]string{"webcall", "vers"}, []string{"version:Print webcall's version and the Go, LiveKit SDK and pion versions it was built with"}},
		{[]string{"webcall", "test", ""}, []string{`_arguments *:filename:_files -g \*.yaml -g \*.yml`}},
	} {
		out := shellRun(t, t.TempDir(), zsh, append([]string{"-f", "-c", driver, "zsh", script}, tc.words...)...)
		var got []string
		for line := range strings.Lines(out) {
			got = append(got, strings.TrimSpace(line))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("zsh completes %q to %q, want %q", tc.words, got, tc.want)
		}
	}
}
