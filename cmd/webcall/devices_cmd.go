package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/webcall-cli/webcall/pkg/audio/device"
)

// devicesOptions holds everything `webcall devices` was told, and where the
// device list comes from (the real PortAudio, or a test's list).
type devicesOptions struct {
	io      *streams
	json    bool
	verbose int
	list    func(context.Context, *slog.Logger) ([]device.Info, error)
}

// newDevicesCmd builds `webcall devices`. runF replaces the run function in
// tests that check flag parsing alone.
func newDevicesCmd(s *streams, runF func(context.Context, *devicesOptions) error) *cobra.Command {
	o := &devicesOptions{io: s, list: device.List}
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List the microphones and speakers webcall can use",
		Long: strings.TrimSpace(`
List the audio devices PortAudio finds, with the index and name that
--input-device and --output-device accept (a name may be given in part, in
any case), the host API, the number of input and output channels, the
default sample rate, and which devices are the system's defaults.

--json prints the same as a JSON array, for scripts.`),
		Example: strings.Trim(`
  # What can webcall use?
  webcall devices

  # Then call with a headset by part of its name, and a speaker by its index
  webcall call --input-device "usb headset" --output-device 3

  # The names of the microphones, for a script
  webcall devices --json | jq -r '.[] | select(.input_channels > 0) | .name'`, "\n"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runDevices(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.json, "json", false, "print a JSON array of devices (index, name, host_api, input_channels, output_channels, default_sample_rate, default_input, default_output)")
	fs.CountVarP(&o.verbose, "verbose", "v", "log what the audio libraries (ALSA, JACK, PortAudio) print while looking for devices")
	return cmd
}

func runDevices(ctx context.Context, o *devicesOptions) error {
	s := o.io
	devs, err := o.list(ctx, deviceLogger(s, o.verbose))
	if err != nil {
		return err
	}
	if o.json {
		if devs == nil {
			devs = []device.Info{}
		}
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(devs)
	}
	if len(devs) == 0 {
		fmt.Fprintln(s.ErrOut, "no audio devices found (no sound card, or the sound server is not running)")
		fmt.Fprintln(s.ErrOut, "  hint: use --input FILE (and --output FILE) to call without audio devices")
		return nil
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INDEX\tNAME\tHOST API\tIN\tOUT\tRATE\tDEFAULT")
	for _, d := range devs {
		var def []string
		if d.DefaultInput {
			def = append(def, "input")
		}
		if d.DefaultOutput {
			def = append(def, "output")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%g\t%s\n", d.Index, d.Name, d.HostAPI,
			d.InputChannels, d.OutputChannels, d.DefaultRate, strings.Join(def, ", "))
	}
	tw.Flush()
	// Rows without a default end in padding; drop it.
	for line := range strings.Lines(table.String()) {
		if _, err := fmt.Fprintln(s.Out, strings.TrimRight(line, " \n")); err != nil {
			return err
		}
	}
	return nil
}

// deviceLogger is where the device glue logs at -v: what the audio
// libraries print (otherwise hidden) and which stream format it chose.
func deviceLogger(s *streams, verbose int) *slog.Logger {
	if verbose < 1 {
		return nil
	}
	return slog.New(slog.NewTextHandler(s.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
