package main

import (
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/webcall-cli/webcall/pkg/atomicfile"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/report"
)

func newReportCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Work with the JSON reports of webcall test",
		Example: strings.Trim(`
  # Merge the reports of a run split in three shards
  webcall report merge shard-1.json shard-2.json shard-3.json --report all.json`, "\n"),
	}
	cmd.AddCommand(newReportMergeCmd(s))
	return cmd
}

func newReportMergeCmd(s *streams) *cobra.Command {
	var out, junit string
	cmd := &cobra.Command{
		Use:   "merge SHARD.json...",
		Short: "Merge the reports of the shards of one run into one report, JUnit file and summary",
		Long: strings.TrimSpace(`
Combine the --report files of a run split with --shard (for example the
pods of a Kubernetes Indexed Job) into the report the run would have
written in one piece: every call once, in the run's order, with the
verdicts, latencies and percentiles recomputed over all of them. Every
shard must be there exactly once.

The exit status is the one the whole run would have had: 0 all passed, 9
an expectation failed, or the code of the first call that could not run.`),
		Example: strings.Trim(`
  # The shards' reports into one report and one JUnit file for CI
  webcall report merge shard-*.json --report all.json --junit junit.xml

  # Only the summary and the exit status of the whole run
  webcall report merge shard-1.json shard-2.json`, "\n"),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return failure.New(failure.Usage, "no report to merge").WithHint("name the JSON files written by webcall test --report")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var reps []*report.Report
			for _, path := range args {
				r, err := report.Read(path)
				if err != nil {
					return err
				}
				reps = append(reps, r)
			}
			merged, err := report.Merge(reps...)
			if err != nil {
				return err
			}
			status := &statusLine{w: s.ErrOut, flush: s.flushErr, tty: s.ErrTTY, start: time.Now()}
			if err := writeReports(s, merged, out, junit, status); err != nil {
				return err
			}
			return verdictError(merged)
		},
	}
	cmd.Flags().StringVar(&out, "report", "", "write the merged report as JSON to this `FILE`")
	cmd.Flags().StringVar(&junit, "junit", "", "write a JUnit XML report of the merged run to this `FILE`")
	return cmd
}

// writeJUnitFile writes the JUnit report atomically: CI must never pick
// up half a file.
func writeJUnitFile(path string, rep *report.Report) error {
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return report.WriteJUnit(w, rep) }); err != nil {
		return failure.Wrap(failure.Usage, err, "cannot write the JUnit report").WithHint("give --junit a path in a directory you can write to")
	}
	return nil
}
