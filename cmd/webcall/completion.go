package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/audio/device"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// The shells `webcall completion` writes scripts for, all by cobra's
// generators: the script asks the binary itself (its hidden __complete
// command) for every completion, so flags and values never go stale.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

func newCompletionCmd(s *streams) *cobra.Command {
	var noDesc bool
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the script that makes your shell complete webcall's commands and flags",
		Long: strings.TrimSpace(`
Print a completion script for your shell on stdout. With it loaded, Tab
completes webcall's commands and flags and many of their values: audio
files (and mic) for --input, the devices 'webcall devices' lists for
--input-device and --output-device, text or json for --format, scenario
files for 'webcall test'.

bash (needs the bash-completion package: apt install bash-completion,
brew install bash-completion@2):
  # this shell only
  source <(webcall completion bash)
  # every new shell
  mkdir -p ~/.local/share/bash-completion/completions
  webcall completion bash > ~/.local/share/bash-completion/completions/webcall

zsh (with compinit on: autoload -U compinit; compinit in ~/.zshrc):
  # every new shell; any directory in $fpath will do
  mkdir -p ~/.zfunc
  webcall completion zsh > ~/.zfunc/_webcall
  # and in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath)

fish:
  webcall completion fish > ~/.config/fish/completions/webcall.fish

PowerShell:
  # this session only; add the line to $PROFILE for every new one
  webcall completion powershell | Out-String | Invoke-Expression

Open a new shell after installing. The script calls webcall itself, so it
keeps working across upgrades; regenerate it only if webcall moves out of
your PATH.`),
		Example: strings.Trim(`
  # Try it in the current bash
  source <(webcall completion bash)

  # Install it for fish
  webcall completion fish > ~/.config/fish/completions/webcall.fish`, "\n"),
		ValidArgs: completionShells,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(completionShells, args[0]) {
				got := "no shell"
				if len(args) > 0 {
					got = fmt.Sprintf("%q", strings.Join(args, " "))
				}
				return failure.Newf(failure.Usage, "completion needs one shell: bash, zsh, fish or powershell (got %s)", got).
					WithHint("see 'webcall completion --help' for how to install the script")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, w := cmd.Root(), s.Out
			var err error
			switch args[0] {
			case "bash":
				err = root.GenBashCompletionV2(w, !noDesc)
			case "zsh":
				if noDesc {
					err = root.GenZshCompletionNoDesc(w)
				} else {
					err = root.GenZshCompletion(w)
				}
			case "fish":
				err = root.GenFishCompletion(w, !noDesc)
			case "powershell":
				if noDesc {
					err = root.GenPowerShellCompletion(w)
				} else {
					err = root.GenPowerShellCompletionWithDesc(w)
				}
			}
			if err != nil {
				return failure.Wrap(failure.Internal, err, "cannot write the completion script")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noDesc, "no-descriptions", false, "complete values without the short description beside each")
	return cmd
}

// listDevicesFunc is device.List: the devices the device flags complete
// from. Listing initialises PortAudio and reads its table; it never opens
// a stream, so completing never touches a microphone.
type listDevicesFunc func(context.Context, *slog.Logger) ([]device.Info, error)

// deviceListTimeout bounds the device listing behind a Tab press: a sound
// server that does not answer must not freeze the shell.
const deviceListTimeout = 3 * time.Second

// Extensions the flags and arguments complete files by. --input takes what
// pkg/audio decodes (it goes by the content, these are for the person).
var (
	audioExts    = []string{"wav", "flac", "ogg", "oga", "opus", "mp3"}
	wavExts      = []string{"wav"}
	scenarioExts = []string{"yaml", "yml"}
)

// registerCompletions gives the command tree under root its dynamic
// completions: values for flags by name (a flag means the same in every
// command that has it) and positional arguments by command. A flag or
// command that already has a completion keeps it.
func registerCompletions(root *cobra.Command, getenv func(string) string, listDevices listDevicesFunc) {
	flags := map[string]cobra.CompletionFunc{
		"format":        fixedValues("text\tone line per final sentence", "json\tJSON Lines events, one per line"),
		"provider":      fixedValues(providerHMS + "\tHMS Sovereign web calls (key from " + envHMSKey + ")"),
		"input":         filesOr(audioExts, inputMic+"\tthe microphone (the default)"),
		"output":        filesOr(wavExts, outputSpeaker+"\tplay the agent (the default)"),
		"record":        filesOr(wavExts),
		"report":        filesOr([]string{"json"}),
		"junit":         filesOr([]string{"xml"}),
		"transcript":    filesOr([]string{"json", "txt", "vtt"}),
		"record-dir":    directories,
		"speech-cache":  directories,
		"input-device":  deviceNames(listDevices, device.Input),
		"output-device": deviceNames(listDevices, device.Output),
		"shard":         shardValues,
		"url":           serverURLs(getenv),
		// webcall kiosk's.
		"config":            filesOr([]string{"yaml", "yml"}),
		"files-dir":         directories,
		"log-format":        fixedValues("text\tkey=value lines", "json\tone JSON object per line, for journald"),
		"transcript-format": fixedValues("json\tsegments with times", "txt\tlines for people", "vtt\tWebVTT captions"),
		"listen":            fixedValues(defaultListen+"\tthis machine only (the default)", "off\tno control API"),
	}
	// Values nothing on disk can complete: a file name offered there
	// would only mislead (and a secret is never a file).
	for _, name := range []string{
		"token", "api-key", "api-secret", "token-endpoint", "api-base", "assistant-id", "metadata",
		"room", "identity", "name", "participant-metadata", "attribute", "agent-name", "agent-metadata",
		"ttl", "wait-agent", "max-duration", "connect-timeout", "reply-timeout", "reply-idle",
		"concurrency", "repeat", "pacing-bound", "say",
		"pause", "device-check", "keep-calls", "keep-days", "keep-size",
	} {
		flags[name] = cobra.NoFileCompletions
	}
	args := map[string]cobra.CompletionFunc{
		"webcall test":         cobra.FixedCompletions(scenarioExts, cobra.ShellCompDirectiveFilterFileExt),
		"webcall report merge": cobra.FixedCompletions([]string{"json"}, cobra.ShellCompDirectiveFilterFileExt),
	}

	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			fn, ok := flags[f.Name]
			if !ok || f.NoOptDefVal != "" { // boolean and count flags take no value
				return
			}
			if _, exists := c.GetFlagCompletionFunc(f.Name); exists {
				return
			}
			// The flag exists and has no completion yet: this cannot fail.
			_ = c.RegisterFlagCompletionFunc(f.Name, fn)
		})
		if c.ValidArgsFunction == nil && len(c.ValidArgs) == 0 && c.Runnable() {
			if fn, ok := args[c.CommandPath()]; ok {
				c.ValidArgsFunction = fn
			} else if !c.HasSubCommands() {
				// The other commands take flags only: no file is
				// ever an argument.
				c.ValidArgsFunction = cobra.NoFileCompletions
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// fixedValues completes one of a few words, each "value\tdescription".
func fixedValues(choices ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return withPrefix(choices, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// withPrefix keeps the choices whose value starts with prefix.
func withPrefix(choices []string, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, c := range choices {
		value, _, _ := strings.Cut(c, "\t")
		if strings.HasPrefix(value, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// filesOr completes the words (the device words mic and speaker), the
// files with one of exts, and directories to go on into. The shells'
// own file completion cannot be mixed with words, so webcall lists the
// directory itself.
func filesOr(exts []string, words ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		out := withPrefix(words, toComplete)
		paths, anyDir := pathsWithExt(toComplete, exts)
		out = append(out, paths...)
		directive := cobra.ShellCompDirectiveNoFileComp
		if anyDir {
			// "dir/" goes on into the directory rather than ending
			// the word.
			directive |= cobra.ShellCompDirectiveNoSpace
		}
		return out, directive
	}
}

// pathsWithExt lists what toComplete can grow into: files in its
// directory whose extension is one of exts (in any case) and
// subdirectories (with a trailing slash). Hidden entries only when
// toComplete asks for them with a leading dot, as shells do.
func pathsWithExt(toComplete string, exts []string) (paths []cobra.Completion, anyDir bool) {
	dir, prefix := filepath.Split(toComplete)
	readDir := dir
	if readDir == "" {
		readDir = "."
	}
	if rest, ok := strings.CutPrefix(readDir, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			readDir = filepath.Join(home, rest)
		}
	}
	entries, err := os.ReadDir(readDir)
	if err != nil {
		return nil, false
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(prefix, ".")) {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if st, err := os.Stat(filepath.Join(readDir, name)); err == nil {
				isDir = st.IsDir()
			}
		}
		switch {
		case isDir:
			paths = append(paths, dir+name+"/")
			anyDir = true
		case slices.Contains(exts, strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))):
			paths = append(paths, dir+name)
		}
	}
	return paths, anyDir
}

// directories completes directory names only.
func directories(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// deviceNames completes the names of the devices that can serve dir,
// with their index and channels beside them. The full name always
// selects its device (an exact name wins over a partial match).
func deviceNames(list listDevicesFunc, dir device.Direction) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithTimeout(ctx, deviceListTimeout)
		defer cancel()
		devs, err := list(ctx, nil)
		if err != nil {
			return cobra.AppendActiveHelp(nil, "cannot list the audio devices; 'webcall devices' says why"),
				cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, d := range devs {
			if d.Channels(dir) == 0 || !strings.HasPrefix(d.Name, toComplete) {
				continue
			}
			desc := fmt.Sprintf("index %d, %d %s channels", d.Index, d.Channels(dir), dir)
			if (dir == device.Input && d.DefaultInput) || (dir == device.Output && d.DefaultOutput) {
				desc += ", the default"
			}
			out = append(out, cobra.CompletionWithDesc(d.Name, desc))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// shardValues explains --shard's syntax where the shell shows active
// help (bash and zsh): no list of K/N values could be right for a run
// webcall does not know the size of.
func shardValues(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return cobra.AppendActiveHelp(nil, "K/N runs part K of N equal parts, e.g. 2/3; N alone takes K from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)"),
		cobra.ShellCompDirectiveNoFileComp
}

// serverURLs offers the server in LIVEKIT_URL, if set, and the address
// of a local development server.
func serverURLs(getenv func(string) string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		choices := []string{}
		if u := strings.TrimSpace(getenv(envURL)); u != "" {
			choices = append(choices, u+"\tfrom "+envURL)
		}
		choices = append(choices, "ws://127.0.0.1:7880\ta local livekit-server --dev")
		return withPrefix(choices, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}
