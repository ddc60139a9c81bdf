package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/report"
	"github.com/webcall-cli/webcall/pkg/scenario"
	"github.com/webcall-cli/webcall/pkg/speech"
	"github.com/webcall-cli/webcall/pkg/suite"
	"github.com/webcall-cli/webcall/pkg/token"
)

// testOptions holds everything `webcall test` was told.
type testOptions struct {
	io    *streams
	creds credentialOptions
	// flags is the command's flag set, to tell which credential flags the
	// command line set (they win over the scenario's connection).
	flags *pflag.FlagSet

	report      string
	junit       string
	recordDir   string
	concurrency int
	repeat      int
	shard       string
	pacingBound time.Duration
	speechCache string

	waitAgent      time.Duration
	connectTimeout time.Duration
	replyTimeout   time.Duration
	replyIdle      time.Duration
	quiet          bool
	verbose        int
}

func newTestCmd(s *streams) *cobra.Command {
	o := &testOptions{io: s}
	cmd := &cobra.Command{
		Use:   "test SCENARIO.yaml|DIR...",
		Short: "Run scripted conversations against an agent and judge every turn",
		Long: strings.TrimSpace(`
Run scenarios: scripted calls, turn by turn, over real WebRTC. Each turn
says something (an audio file, or text spoken with espeak-ng), types a chat
message, or stays silent; then the agent's reply is judged: did it reply,
what did it say, did it hear right, how long did it take. A turn can barge
in while the agent speaks. The format is in pkg/scenario/FORMAT.md.

Latency is measured on the audio itself, on this machine: from the last
voiced frame of the user's speech sent to the first audible frame of the
reply received. It includes the network both ways, so it is never below
what the agent measures itself.

Credentials come from each scenario's connection block; flags given here
fill in or override it (the LIVEKIT_* environment variables too).

Exit status: 0 every turn passed; 9 an expectation failed (the agent's
answers); otherwise the code of the first call that could not run (3 could
not connect, 4 refused, 5 no agent, ...), so CI can tell a regression from
a broken test set-up. Under GitHub Actions, failures are also annotations.`),
		Example: strings.Trim(`
  # Run one scenario; the summary goes to stderr
  webcall test testdata/scenarios/book_table.yaml

  # A directory of scenarios, 3 times each, 5 calls at once, with reports for CI
  webcall test scenarios/ --repeat 3 --concurrency 5 --report out.json --junit junit.xml

  # Part 2 of 3 of the work (a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX;
  # --shard 3 alone picks the part from it), merged later with 'webcall report merge'
  webcall test scenarios/ --shard 2/3 --report shard-2.json`, "\n"),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return failure.New(failure.Usage, "no scenario given").
					WithHint("name one or more scenario files or directories, e.g. webcall test testdata/scenarios/")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.flags = cmd.Flags()
			return runTest(cmd.Context(), o, args)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&o.report, "report", "", "write the whole run as JSON to this `FILE` (every turn's transcripts, timings, verdicts, and the machine's load)")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this `FILE`, one test case per turn")
	fs.StringVar(&o.recordDir, "record-dir", "", "record every call (stereo WAV) and write its transcript into this `DIR`")
	fs.IntVarP(&o.concurrency, "concurrency", "c", 1, "how many calls run at once, each in its own room")
	fs.IntVarP(&o.repeat, "repeat", "n", 1, "run each scenario this many times")
	fs.StringVar(&o.shard, "shard", "", "run only part `K/N` of the work (N alone: K from $JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it)")
	fs.DurationVar(&o.pacingBound, "pacing-bound", suite.DefaultPacingBound, "call the machine overloaded when a call's audio goes out later than this (p99)")
	fs.StringVar(&o.speechCache, "speech-cache", "", "cache text turns synthesised with espeak-ng in this `DIR` (default: the user cache dir)")
	addCredentialFlags(fs, &o.creds)
	addCAFileFlag(cmd)
	fs.DurationVar(&o.waitAgent, "wait-agent", call.DefaultTiming.WaitAgent, "how long to wait for an agent to join after connecting")
	fs.DurationVar(&o.connectTimeout, "connect-timeout", call.DefaultTiming.ConnectTimeout, "give up connecting to the server after this long")
	fs.DurationVar(&o.replyTimeout, "reply-timeout", call.DefaultTiming.ReplyTimeout, "fail a turn whose reply has not begun this long after the user's speech ended (a turn's timeout: wins)")
	fs.DurationVar(&o.replyIdle, "reply-idle", call.DefaultTiming.ReplyIdle, "a reply is over after this much silence from the agent")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print no progress on stderr (the summary and errors still are)")
	fs.CountVarP(&o.verbose, "verbose", "v", "log more on stderr: -vv for the LiveKit SDK's debug logs")
	return cmd
}

func runTest(ctx context.Context, o *testOptions, args []string) error {
	s := o.io
	if o.concurrency < 1 || o.repeat < 1 {
		return failure.Newf(failure.Usage, "--concurrency and --repeat must be at least 1 (got %d and %d)", o.concurrency, o.repeat)
	}
	for name, d := range map[string]time.Duration{"--wait-agent": o.waitAgent, "--connect-timeout": o.connectTimeout, "--reply-timeout": o.replyTimeout, "--reply-idle": o.replyIdle} {
		if d < 0 {
			return failure.Newf(failure.Usage, "%s must not be negative (got %s)", name, d)
		}
	}
	shard, err := parseShardFlag(o.shard, s.Getenv)
	if err != nil {
		return err
	}
	// Everything is checked before anything connects: the files, their
	// audio, and that every scenario has credentials.
	scs, err := scenario.Load(args, s.Getenv)
	if err != nil {
		return err
	}
	sources := map[*scenario.Scenario]token.Source{}
	for _, sc := range scs {
		src, err := o.credentialsFor(sc)
		if err != nil {
			return failure.Wrap(failure.KindOf(err), err, sc.Path).WithHint(hintFor(err))
		}
		sources[sc] = src
	}
	// One synthesiser per voice: each finds espeak-ng and its version once.
	var synthMu sync.Mutex
	synths := map[string]*speech.Synth{}
	status := &statusLine{w: s.ErrOut, flush: s.flushErr, tty: s.ErrTTY, quiet: o.quiet, start: time.Now()}
	sdkLogger(s, o.verbose)

	rep, runErr := suite.Run(ctx, suite.Options{
		Scenarios:   scs,
		Suite:       args,
		Repeat:      o.repeat,
		Concurrency: o.concurrency,
		Shard:       shard,
		Credentials: func(sc *scenario.Scenario) (token.Source, error) { return sources[sc], nil },
		Speak: func(ctx context.Context, text, voice string) (*audio.Clip, error) {
			synthMu.Lock()
			sy := synths[voice]
			if sy == nil {
				sy = &speech.Synth{CacheDir: o.speechCache, Voice: voice}
				synths[voice] = sy
			}
			synthMu.Unlock()
			return sy.Say(ctx, text)
		},
		OnCredentials: func(c token.Credentials) { redact.Add(c.Token) },
		Timing: call.Timing{
			ConnectTimeout: o.connectTimeout,
			WaitAgent:      o.waitAgent,
			ReplyTimeout:   o.replyTimeout,
			ReplyIdle:      o.replyIdle,
		},
		RecordDir:   o.recordDir,
		PacingBound: o.pacingBound,
		Failure:     reportFailure,
		Progress:    status.print,
		Tool:        "webcall " + readBuildInfo().Version,
	})
	if rep == nil {
		return runErr
	}
	if err := writeReports(s, rep, o.report, o.junit, status); err != nil {
		return err
	}
	if runErr != nil {
		return bySignal(ctx, runErr)
	}
	return verdictError(rep)
}

// writeReports writes what a run asked for and shows its summary: the
// files first, so that a summary cut short by a closed terminal still
// leaves them.
func writeReports(s *streams, rep *report.Report, jsonPath, junitPath string, status *statusLine) error {
	if jsonPath != "" {
		if err := report.Write(jsonPath, rep); err != nil {
			return err
		}
		status.print("wrote " + jsonPath)
	}
	if junitPath != "" {
		if err := writeJUnitFile(junitPath, rep); err != nil {
			return err
		}
		status.print("wrote " + junitPath)
	}
	if err := report.WriteSummary(s.ErrOut, rep, report.SummaryOptions{Color: s.ErrTTY && colorAllowed(s.Getenv), Width: s.Width()}); err != nil {
		return failure.Wrap(failure.Internal, err, "cannot write the summary")
	}
	if s.Getenv("GITHUB_ACTIONS") == "true" {
		// Workflow commands are read from stdout.
		_ = report.WriteAnnotations(s.Out, rep)
	}
	_ = s.flushErr()
	return s.flushOut()
}

// verdictError turns a report's verdict into the command's error: failed
// expectations are exitCheck; a run with none failed but a call that could
// not run takes that call's own error, so CI sees "could not connect" as
// such and not as a regression.
func verdictError(rep *report.Report) error {
	t := rep.Totals()
	switch rep.Verdict() {
	case report.Fail:
		return failure.Newf(failure.Check, "%d of %d turns failed their expectations", t.TurnsFailed, t.Turns).
			WithHint("the summary above shows what was expected and what came")
	case report.Error:
		if f := rep.FirstError(); f != nil {
			return failure.Newf(kindNamed(f.Kind), "%d of %d calls could not run; the first: %s", t.CallsErrored, t.Calls, f.Message).WithHint(f.Hint)
		}
	}
	return nil
}

// reportFailure describes a call's error for the report, with the exit
// code webcall call would have returned for it.
func reportFailure(err error) report.Failure {
	return report.Failure{
		Kind:    failure.KindOf(err).String(),
		Code:    exitCode(err),
		Message: redact.String(err.Error()),
		Hint:    redact.String(hintFor(err)),
	}
}

// credentialsFor is a scenario's token source: its connection block as if
// given as flags, then the flags this command was given on top.
func (o *testOptions) credentialsFor(sc *scenario.Scenario) (token.Source, error) {
	var c credentialOptions
	fs := pflag.NewFlagSet("connection", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addCredentialFlags(fs, &c)
	fromFile := false
	for _, f := range sc.Connection.Flags() {
		if err := fs.Set(f.Name, f.Value); err != nil {
			return nil, failure.Newf(failure.Usage, "connection.%s: %v", strings.ReplaceAll(f.Name, "-", "_"), err)
		}
		fromFile = true
	}
	var setHere error
	o.flags.Visit(func(f *pflag.Flag) {
		if fs.Lookup(f.Name) == nil || setHere != nil {
			return
		}
		// A repeatable flag given here replaces the file's list.
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			setHere = fs.Lookup(f.Name).Value.(pflag.SliceValue).Replace(sv.GetSlice())
			return
		}
		setHere = fs.Set(f.Name, f.Value.String())
	})
	if setHere != nil {
		return nil, failure.Wrap(failure.Usage, setHere, "bad credential flag")
	}
	// Secrets in the file come from the environment by construction, so
	// the warning about secrets on the command line is for this command's
	// own flags only.
	warn := o.io.ErrOut
	if fromFile && !o.flags.Changed("token") && !o.flags.Changed("api-secret") {
		warn = io.Discard
	}
	return c.source(o.io.Getenv, warn)
}

// parseShardFlag reads --shard: "K/N", or "N" with K from
// JOB_COMPLETION_INDEX (0-based there, as Kubernetes numbers pods).
func parseShardFlag(v string, env func(string) string) (*report.Shard, error) {
	if v == "" {
		return nil, nil
	}
	if !strings.Contains(v, "/") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, failure.Newf(failure.Usage, "--shard %q is not K/N or a number of shards", v).WithHint("e.g. --shard 2/3, or --shard 3 in a Kubernetes Indexed Job")
		}
		idx := env("JOB_COMPLETION_INDEX")
		k, err := strconv.Atoi(idx)
		if err != nil {
			return nil, failure.Newf(failure.Usage, "--shard %d needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), which is %q", n, idx).
				WithHint("give the part explicitly: --shard K/N")
		}
		v = fmt.Sprintf("%d/%d", k+1, n)
	}
	k, n, err := scenario.ParseShard(v)
	if err != nil {
		return nil, failure.Wrap(failure.Usage, err, "--shard").WithHint("e.g. --shard 2/3: the second of three equal parts")
	}
	return &report.Shard{Index: k, Count: n}, nil
}

// kindNamed is the failure kind a report names, so that a merged report
// exits as the run would have.
func kindNamed(name string) failure.Kind {
	for k := range exitCodes {
		if k.String() == name {
			return k
		}
	}
	return failure.Internal
}

// colorAllowed follows NO_COLOR (https://no-color.org).
func colorAllowed(env func(string) string) bool { return env("NO_COLOR") == "" }
