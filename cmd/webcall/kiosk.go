package main

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/webcall-cli/webcall/pkg/archive"
	"github.com/webcall-cli/webcall/pkg/audio/device"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/flagfile"
	"github.com/webcall-cli/webcall/pkg/kiosk"
	"github.com/webcall-cli/webcall/pkg/logfmt"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// kioskOptions holds everything `webcall kiosk` was told.
type kioskOptions struct {
	io      *streams
	creds   credentialOptions
	devices deviceOptions

	config        string
	apiSecretFile string

	listen         string
	apiTokenFile   string
	alwaysOn       bool
	pause          time.Duration
	deviceCheck    time.Duration
	filesDir       string
	transcriptFmts []string
	record         bool
	keep           keepOptions

	waitAgent      time.Duration
	maxDuration    time.Duration
	connectTimeout time.Duration
	reconnect      reconnectOptions

	logFormat string
	verbose   int
}

// keepOptions bound the call files a kiosk keeps.
type keepOptions struct {
	calls int
	days  int
	size  string
}

// defaultListen is where the control API, health and metrics are served:
// this machine only, so that nobody else can start a call.
const defaultListen = "127.0.0.1:8089"

func newKioskCmd(s *streams) *cobra.Command {
	o := &kioskOptions{io: s}
	cmd := &cobra.Command{
		Use:   "kiosk",
		Short: "Run unattended: take a call whenever asked, for weeks, and say how it is",
		Long: strings.TrimSpace(`
Run as a daemon for a kiosk (a box with a microphone, a speaker and maybe
a button): take a call when asked, go back to idle when it ends, and start
again after whatever went wrong.

A call starts when:
  POST /call                 on the control API (--listen); POST /hangup ends it
  SIGUSR1                    is sent (a button wired through a tiny script);
                             during a call it hangs up
  Space or Enter             is pressed on the terminal, when there is one
  --always-on                is set: again --pause after each call ends

Each call gets fresh credentials from the same sources as 'webcall call'
(a token endpoint is the usual kiosk set-up; an HMS web call is created per
call, and a busy answer means wait, never hammer). A call that cannot
start is tried again with backoff; a missing microphone or speaker is
waited for and opened again once it is back. None of it stops the kiosk.

The same address serves /healthz (alive), /readyz (devices open and the
last credentials good), /status (JSON) and /metrics (Prometheus). It is
127.0.0.1 unless --listen says otherwise, and any other address needs
--api-token-file: requests then need 'Authorization: Bearer <token>'.

Under systemd (Type=notify) the kiosk says READY=1 once its devices opened,
pings the watchdog from its main loop and says STOPPING=1 on SIGTERM, which
hangs up the call that is on and finishes its files. See deploy/systemd.

--config FILE holds the same settings as the flags, in YAML, with the flag
names as keys; the command line wins. Secrets are never read from it: use
--api-secret-file, --api-key-file, -H @FILE or the environment.`),
		Example: strings.Trim(`
  # A kiosk whose backend hands out tokens; calls started with curl
  webcall kiosk --token-endpoint https://example.com/api/token -H @/etc/webcall/headers
  curl -X POST http://127.0.0.1:8089/call
  curl -X POST http://127.0.0.1:8089/hangup

  # A button on a GPIO pin: its script sends SIGUSR1 to start or end a call
  pkill -USR1 -f 'webcall kiosk'

  # Always on: a new call 5 s after each one ends, each at most 5 minutes
  webcall kiosk --config /etc/webcall/kiosk.yaml --always-on --pause 5s --max-duration 5m

  # Keep the last 500 calls' transcripts and recordings, at most 30 days and 2 GB
  webcall kiosk --files-dir /var/lib/webcall-kiosk --transcript-format json,txt --record \
      --keep-calls 500 --keep-days 30 --keep-size 2GB

  # Serve the control API on the LAN, with a bearer token from a file
  webcall kiosk --listen 0.0.0.0:8089 --api-token-file /etc/webcall/api-token

  # Is it ready? What is it doing?
  curl -fsS http://127.0.0.1:8089/readyz && curl -s http://127.0.0.1:8089/status | jq .state`, "\n"),
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if o.config == "" {
				return nil
			}
			return flagfile.Apply(o.config, cmd.Flags(), kioskConfigRules)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.reconnect.set = cmd.Flags().Changed("reconnect")
			return runKiosk(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&o.config, "config", "", "read settings from this YAML `FILE`: the flags' names as keys (url: ..., always-on: true); flags on the command line win")
	addCredentialFlags(fs, &o.creds)
	fs.StringVar(&o.apiSecretFile, "api-secret-file", "", "read the LiveKit API secret from this `FILE` (a systemd credential, say) instead of "+envAPISecret)
	addCAFileFlag(cmd)
	addDeviceFlags(fs, &o.devices)
	_ = fs.MarkHidden("muted")
	fs.StringVar(&o.listen, "listen", defaultListen, "serve the control API, health, status and metrics at this `ADDRESS`; anything but loopback needs --api-token-file; \"off\" serves nothing")
	fs.StringVar(&o.apiTokenFile, "api-token-file", "", "require 'Authorization: Bearer <token>' on the control API, with the token read from this `FILE`")
	fs.BoolVar(&o.alwaysOn, "always-on", false, "start a call at once, and again --pause after each call ends")
	fs.DurationVar(&o.pause, "pause", 3*time.Second, "with --always-on: the pause between calls")
	fs.DurationVar(&o.deviceCheck, "device-check", 30*time.Second, "while idle, check this often that the microphone and speaker are still there (0: only when a call starts)")
	fs.StringVar(&o.filesDir, "files-dir", "", "keep each call's files in this `DIR`, named <UTC start>-<call id>")
	fs.StringSliceVar(&o.transcriptFmts, "transcript-format", []string{"json"}, "with --files-dir: the transcripts to write for each call: json, txt, vtt (comma-separated)")
	fs.BoolVar(&o.record, "record", false, "with --files-dir: record each call as a stereo WAV (you left, the agent right)")
	fs.IntVar(&o.keep.calls, "keep-calls", 1000, "with --files-dir: keep the files of at most this many calls, deleting the oldest (0: no limit)")
	fs.IntVar(&o.keep.days, "keep-days", 30, "with --files-dir: delete the files of calls older than this many days (0: no limit)")
	fs.StringVar(&o.keep.size, "keep-size", "1GB", "with --files-dir: keep at most this much in all (e.g. 500MB, 2GB; 0: no limit)")
	fs.DurationVar(&o.waitAgent, "wait-agent", call.DefaultTiming.WaitAgent, "how long to wait for an agent to join after connecting")
	fs.DurationVar(&o.maxDuration, "max-duration", 0, "hang up each call after this long (0: no limit, unless the provider has one)")
	fs.DurationVar(&o.connectTimeout, "connect-timeout", call.DefaultTiming.ConnectTimeout, "give up connecting to the server after this long")
	addReconnectFlags(fs, &o.reconnect)
	fs.StringVar(&o.logFormat, "log-format", "text", `log lines on stderr as "text" (key=value) or "json" (one object per line, for journald)`)
	fs.CountVarP(&o.verbose, "verbose", "v", "log more: -v for each call's progress, -vv for the LiveKit SDK's debug logs")
	return cmd
}

// kioskConfigRules say which flags a configuration file may not set.
var kioskConfigRules = flagfile.Options{
	Secret: func(name string) (string, bool) {
		switch name {
		case "api-secret":
			return "api-secret-file (a file only the kiosk can read) or " + envAPISecret, true
		case "token":
			return envToken + ", or a token endpoint: a kiosk needs fresh credentials for every call", true
		case "api-key":
			// With --provider hms it is the HMS key.
			return envAPIKey + " (or for HMS api-key-file or " + envHMSKey + ")", true
		}
		return "", false
	},
	Refuse: func(name string) (string, bool) {
		switch name {
		case "config":
			return "a configuration file cannot name another", true
		case "help":
			return "it is not a setting", true
		}
		return "", false
	},
}

// kioskLogger is the kiosk's log: text or JSON lines on stderr, every
// registered secret masked (pkg/logfmt), for journald to keep.
func kioskLogger(o *kioskOptions) (*slog.Logger, error) {
	level := slog.LevelInfo
	if o.verbose > 0 {
		level = slog.LevelDebug
	}
	log, err := logfmt.NewLogger(o.io.ErrOut, o.logFormat, level)
	if err != nil {
		return nil, failure.Wrap(failure.Usage, err, "--log-format").WithHint(`use "text" or "json"`)
	}
	return log, nil
}

// files checks --files-dir and what goes in it.
func (o *kioskOptions) files() (kiosk.Files, error) {
	f := kiosk.Files{Dir: archive.Dir{Path: o.filesDir, KeepCalls: o.keep.calls, KeepAge: time.Duration(o.keep.days) * 24 * time.Hour}, Record: o.record}
	if o.filesDir == "" {
		return f, nil
	}
	size, err := parseSize(o.keep.size)
	if err != nil {
		return f, failure.Wrap(failure.Usage, err, "--keep-size").WithHint("give a size such as 500MB or 2GB, or 0 for no limit")
	}
	f.Dir.KeepBytes = size
	for _, name := range o.transcriptFmts {
		name = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), ".")
		format, err := transcript.FormatOf("x." + name)
		if err != nil || name == "" {
			return f, failure.Newf(failure.Usage, "unknown --transcript-format %q", name).WithHint("use json, txt or vtt, comma-separated")
		}
		f.Transcripts = append(f.Transcripts, format)
	}
	return f, kiosk.CheckFiles(f)
}

// deviceConfig is the devices' configuration from the device flags.
func (o *kioskOptions) deviceConfig(log *slog.Logger) device.Config {
	return device.Config{
		Input: o.devices.inputDevice, Output: o.devices.outputDevice,
		EchoCancel: !o.devices.noAEC, HalfDuplex: o.devices.halfDuplex,
		Log: log,
	}
}

func (o *kioskOptions) check() error {
	if o.pause < 0 || o.deviceCheck < 0 || o.keep.days < 0 || o.keep.calls < 0 {
		return failure.New(failure.Usage, "--pause, --device-check, --keep-days and --keep-calls must not be negative")
	}
	for name, d := range map[string]time.Duration{"--wait-agent": o.waitAgent, "--connect-timeout": o.connectTimeout, "--max-duration": o.maxDuration} {
		if d < 0 {
			return failure.Newf(failure.Usage, "%s must not be negative (got %s)", name, d)
		}
	}
	if o.devices.muted {
		return failure.New(failure.Usage, "--muted has no meaning for a kiosk").WithHint("leave it out")
	}
	return nil
}

// describeStart is the kiosk's first log line's words for its triggers.
func describeStart(o *kioskOptions, listening string) string {
	var how []string
	if listening != "" {
		how = append(how, "POST http://"+listening+"/call")
	}
	how = append(how, "SIGUSR1")
	if o.alwaysOn {
		how = append(how, fmt.Sprintf("always on (pause %s)", o.pause))
	}
	return strings.Join(how, ", ")
}

// sizeUnits are the units --keep-size takes, in bytes: decimal as disks
// are sold, binary as df -h shows them.
var sizeUnits = map[string]float64{
	"": 1, "B": 1,
	"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40,
}

// parseSize reads a size such as 500MB, 1.5GiB or 1000000.
func parseSize(v string) (int64, error) {
	v = strings.TrimSpace(v)
	i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(v)
	}
	num, unit := v[:i], strings.ToUpper(strings.TrimSpace(v[i:]))
	n, err := strconv.ParseFloat(num, 64)
	mult, ok := sizeUnits[unit]
	if err != nil || !ok || n < 0 || n*mult > math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a size", v)
	}
	return int64(n * mult), nil
}
