package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/webcall-cli/webcall/pkg/audio/device"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
)

// version is set by the Makefile through -ldflags.
var version = "dev"

// streams are the process's standard streams plus "is this a terminal".
// Commands write results to Out and status to ErrOut; a terminal changes
// decoration, never content.
type streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	OutTTY bool
	ErrTTY bool
	Getenv func(string) string
	// Width is the terminal's width in columns (80 when not a terminal).
	Width func() int
	// Color allows colours and other decoration on a terminal: off when
	// NO_COLOR is set to anything (no-color.org), TERM is "dumb", or
	// --no-color is given. It says nothing about whether a stream is a
	// terminal; decoration needs both.
	Color    bool
	flushOut func() error
	flushErr func() error
	// terminal puts stdin's terminal back while a command has changed its
	// mode (the mute key, keys.go).
	terminal terminalHook
}

// Main runs webcall with args and returns the process's exit status. It
// owns the only signal handler: the first SIGINT or SIGTERM cancels the
// context every command runs under (a clean hang-up); a second one exits
// at once.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	// Everything printed goes through redaction: secrets are registered
	// the moment they are read, before any of them could be printed.
	out, errOut := redact.NewWriter(stdout), redact.NewWriter(stderr)
	defer out.Close()
	defer errOut.Close()
	s := &streams{
		In: stdin, Out: out, ErrOut: errOut,
		OutTTY: isTerminal(stdout), ErrTTY: isTerminal(stderr),
		Getenv:   getenv,
		Width:    func() int { return terminalWidth(stdout) },
		Color:    getenv("NO_COLOR") == "" && getenv("TERM") != "dumb",
		flushOut: out.Flush, flushErr: errOut.Flush,
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case sig := <-sigs:
			kind := failure.Interrupted
			if sig == syscall.SIGTERM {
				kind = failure.Terminated
			}
			cancel(failure.New(kind, "hung up by "+signalName(sig)))
		case <-stopped:
			return
		}
		select {
		case <-sigs:
			// os.Exit skips the command's deferred calls: put the
			// terminal back here.
			s.terminal.run()
			fmt.Fprintln(stderr, "webcall: second interrupt, exiting without hanging up")
			os.Exit(exitInterrupted)
		case <-stopped:
		}
	}()

	root := newRootCmd(s)
	ran := false
	preRun := root.PersistentPreRun
	root.PersistentPreRun = func(c *cobra.Command, args []string) {
		ran = true
		preRun(c, args)
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !ran && failure.KindOf(err) == failure.Internal {
		// Cobra refused the command line before any command ran (an
		// unknown command, extra arguments): that is a usage error.
		err = failure.New(failure.Usage, err.Error()).WithHint("see 'webcall --help'")
	}
	err = bySignal(ctx, err)
	code := exitCode(err)
	if err != nil {
		printError(s.ErrOut, err)
	}
	return code
}

// bySignal re-classifies an interruption by the signal that caused it
// (SIGINT and SIGTERM have different exit codes).
func bySignal(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || failure.KindOf(err) != failure.Interrupted {
		return err
	}
	var cause *failure.Error
	if errors.As(context.Cause(ctx), &cause) {
		return cause
	}
	return err
}

func signalName(sig os.Signal) string {
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "Ctrl-C"
}

// printError prints err for a person: one line saying what went wrong,
// then what to try. Never a stack trace.
func printError(w io.Writer, err error) {
	kind := failure.KindOf(err)
	if kind == failure.Interrupted || kind == failure.Terminated {
		fmt.Fprintln(w, "webcall: hung up")
		return
	}
	msg := err.Error()
	if fe := (*failure.Error)(nil); errors.As(err, &fe) && fe.Msg == "" && fe.Err != nil {
		msg = fe.Err.Error()
	}
	fmt.Fprintf(w, "webcall: %s\n", msg)
	if hint := hintFor(err); hint != "" {
		fmt.Fprintf(w, "  hint: %s\n", hint)
	}
}

func newRootCmd(s *streams) *cobra.Command {
	var noColor bool
	root := &cobra.Command{
		PersistentPreRun: func(*cobra.Command, []string) {
			if noColor {
				s.Color = false
			}
		},
		Use:   "webcall",
		Short: "A headless voice client for AI voice agents on LiveKit",
		Long: strings.TrimSpace(`
webcall joins a LiveKit room as a caller, talks to the voice agent there
from your microphone or from an audio file, plays or records what the agent
says, and prints the live transcript of both sides.

It is what a browser voice widget does, without the browser: for calls
from a terminal, scripted calls in CI, and unattended kiosks.`),
		Example: strings.Trim(`
  # Talk to an agent on a local server, minting a token from the dev keys
  webcall call --url ws://127.0.0.1:7880 --api-key devkey --api-secret secret \
      --agent-name my-agent --input testdata/audio/hello.wav

  # Use a token your backend issued
  LIVEKIT_URL=wss://example.livekit.cloud LIVEKIT_TOKEN=... webcall call --input hello.wav

  # Machine-readable events for scripts
  webcall call --input hello.wav --format json | jq .`, "\n"),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// --version prints what `webcall version` does, as gh's does. The
	// text goes through an annotation, not the template itself, so that
	// nothing in a stamped version is read as template syntax.
	info := readBuildInfo()
	root.Version = info.Version
	root.Annotations = map[string]string{"version-text": info.text()}
	root.SetVersionTemplate(`{{index .Annotations "version-text"}}`)
	root.Flags().BoolP("version", "v", false, "print the version, and those of Go, the LiveKit SDK and pion (as 'webcall version' does)")
	// webcall's own completion command (completion.go) has the install
	// help; cobra's default one would only duplicate it.
	root.CompletionOptions.DisableDefaultCmd = true
	root.PersistentFlags().BoolVar(&noColor, "no-color", false, "no colours or other decoration on the terminal (as does NO_COLOR set to anything)")
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	// Flag errors are usage errors, with a pointer to --help.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return failure.New(failure.Usage, err.Error()).WithHint(fmt.Sprintf("see '%s --help'", c.CommandPath()))
	})
	root.AddCommand(newCallCmd(s, nil))
	root.AddCommand(newTokenCmd(s))
	root.AddCommand(newDevicesCmd(s, nil))
	root.AddCommand(newTestCmd(s))
	root.AddCommand(newKioskCmd(s))
	root.AddCommand(newReportCmd(s))
	root.AddCommand(newVersionCmd(s))
	root.AddCommand(newCompletionCmd(s))
	registerCompletions(root, s.Getenv, device.List)
	return root
}
