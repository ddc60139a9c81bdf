// Package pulse runs a private PulseAudio server with virtual devices, so
// that tests can drive webcall's real PortAudio path on machines without a
// sound card (CI).
//
// The daemon is a child process (internal/proc) with everything it touches
// under one temporary directory: its socket, runtime and state
// directories, its HOME, a client configuration (no autospawn) and an ALSA
// configuration. Nothing system-wide is read or written beyond the
// installed packages, no session bus is joined (PipeWire's daemons have a
// private one), and so several daemons (one per test package) can run at
// once, none touching a user's own sound server, and none outliving its
// test.
//
// A server comes in one of three configurations:
//
//   - Start: tuned. The package's own start-up script (tuned.go) makes
//     mono 48 kHz null sinks and gives each a permanent low-latency client,
//     so that streams start at once and monitors always deliver, as on a
//     real sound card.
//   - StartStock: stock (stock.go). The system's default.pa (less the
//     modules that look for sound cards, which find none in a container
//     and would take a developer's real one), the daemon's defaults, and
//     devices made the way people give a container audio, with pactl:
//     null sinks for the speaker and the microphone's feed, a remap
//     source on the feed's monitor as the microphone, and a near-silent
//     stream kept playing into the feed, as a real microphone's noise
//     floor. Here a
//     new stream on a null sink can wait up to 2 s for its first samples,
//     and a monitor delivers nothing while nothing plays into its sink:
//     what users and containers have.
//   - StartPipeWire: PipeWire (pipewire.go). Not PulseAudio but PipeWire's
//     PulseAudio server, pipewire-pulse, with pipewire and WirePlumber on
//     a private session bus, as a desktop session runs them (less
//     WirePlumber's hardware monitors), in their default configuration,
//     and the stock daemon's devices, made the same way, but mono.
//
// Either way, Devices names the virtual devices. Tests play what the
// microphone hears into MicFeed (PlayIntoMic; on a stock daemon and on
// PipeWire it is mixed into the feed's one stream, feed.go) and record
// what webcall played from SpeakerMonitor (RecordSpeaker). The test's own
// players and recorders ask a stock daemon and PipeWire for their default
// latency, as users' programs do: one that asked for low latency would
// make the sink run at it and hide the behaviour the mode is there to
// show. So there a Recording's Stop waits seconds for what the server
// still holds.
//
// PortAudio reaches the devices through ALSA's pulse plugin: the ALSA
// configuration written for each daemon (used through ALSA_CONFIG_PATH, so
// it applies only to processes given Env) makes `default` the daemon's
// default devices and adds two named PCMs, ALSAMic and ALSASpeaker, for
// the virtual microphone and speaker.
//
// Goroutines: the daemon and each recorder are internal/proc processes,
// each with one goroutine that waits for it to exit (Stop makes sure it
// does). A stock daemon and PipeWire also own the goroutine that writes
// the microphone's stream (feed.go); it ends when Stop stops the feed.
package pulse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/proc"
)

// Names of the tuned daemon's virtual devices (Start). A stock daemon's
// are other names: use Devices, which is right for both.
const (
	// SpeakerSink is the PulseAudio sink that plays the part of a speaker.
	SpeakerSink = "webcall_speaker"
	// SpeakerMonitor records what was played into SpeakerSink.
	SpeakerMonitor = SpeakerSink + ".monitor"
	// MicSink is where tests play what the virtual microphone hears.
	MicSink = "webcall_mic"
	// MicSource is the virtual microphone: the monitor of MicSink.
	MicSource = MicSink + ".monitor"
)

// ALSAMic and ALSASpeaker are the names PortAudio lists for the virtual
// microphone and speaker (ALSA PCMs of the pulse plugin), in both
// configurations.
const (
	ALSAMic     = "webcall_mic"
	ALSASpeaker = "webcall_speaker"
)

// Rate is the sample rate of Play's input and Record's output (and of the
// tuned daemon's devices).
const Rate = 48000

// ReadyTimeout bounds how long a new daemon may take to answer.
const ReadyTimeout = 10 * time.Second

// stopGrace is how long Stop waits after SIGTERM before it kills.
const stopGrace = 3 * time.Second

// commandTimeout bounds one pactl call: a daemon that does not answer in
// this time is broken, and a test must not hang on it.
const commandTimeout = 10 * time.Second

// logLimit bounds what Log returns of the daemon's output.
const logLimit = 64 << 10

// Options choose the daemon's configuration.
type Options struct {
	// Stock runs the system's default configuration with devices made
	// by pactl, instead of the package's tuned script.
	Stock bool
	// PipeWire runs PipeWire's PulseAudio server (pipewire.go) instead
	// of PulseAudio: its default configuration, with the devices made by
	// pactl as on a stock daemon. Stock must then be false.
	PipeWire bool
}

// kind is which server a Server runs.
type kind int

const (
	tuned kind = iota
	stock
	pipeWire
)

func (o Options) kind() (kind, error) {
	switch {
	case o.PipeWire && o.Stock:
		return 0, errors.New("pulse.Options: Stock and PipeWire are two different servers, choose one")
	case o.PipeWire:
		return pipeWire, nil
	case o.Stock:
		return stock, nil
	}
	return tuned, nil
}

// String names the server in messages.
func (k kind) String() string {
	if k == pipeWire {
		return "PipeWire"
	}
	return "PulseAudio"
}

// Server is a running sound server (a PulseAudio daemon, or PipeWire's
// PulseAudio server) with the virtual devices loaded.
type Server struct {
	kind    kind
	devices Devices
	dir     string
	socket  string
	env     []string // what clients need to reach this daemon

	daemon *proc.Process // for PipeWire, the script that runs its daemons
	feed   *micFeed      // stock and PipeWire: the microphone's noise floor

	stopOnce sync.Once
	stopErr  error
}

// Start starts a tuned daemon for the test and stops it when the test
// ends. It fails the test with the reason, never skips it, when PulseAudio
// cannot start: a skipped device test looks like a passing one in CI. Only
// -short (unit tests only, by request) skips it.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, Options{})
}

// StartStock is Start for a stock daemon: the system's default.pa, with
// the devices made by pactl as a container's are (see Devices).
func StartStock(t testing.TB) *Server {
	t.Helper()
	return start(t, Options{Stock: true})
}

// StartPipeWire is Start for PipeWire's PulseAudio server, as a desktop
// session runs it (pipewire.go), with the devices of a stock daemon. It
// fails the test, naming the Debian packages, when PipeWire is not
// installed.
func StartPipeWire(t testing.TB) *Server {
	t.Helper()
	return start(t, Options{PipeWire: true})
}

func start(t testing.TB, o Options) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test needs a sound server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), ReadyTimeout)
	defer cancel()
	s, err := StartProcess(ctx, o)
	if err != nil {
		k, _ := o.kind()
		t.Fatalf("start %s: %v", k, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop %s: %v", s.kind, err)
		}
		if t.Failed() {
			// The logs stay for the reader.
			t.Logf("%s log (tail; all of it in %s):\n%s", s.kind, s.daemon.LogPath(), s.Log())
			if s.feed != nil {
				if tail := strings.TrimSpace(s.feed.p.Tail(logLimit)); tail != "" {
					t.Logf("the microphone feed's log (all of it in %s):\n%s", s.feed.p.LogPath(), tail)
				} else {
					s.feed.close()
				}
			}
			return
		}
		if err := s.Close(); err != nil {
			t.Errorf("remove %s's log: %v", s.kind, err)
		}
	})
	return s
}

// StartProcess starts a daemon and returns once it answers and its devices
// are there. ctx bounds the start; the daemon runs until Stop.
func StartProcess(ctx context.Context, o Options) (*Server, error) {
	k, err := o.kind()
	if err != nil {
		return nil, err
	}
	name, bin, err := lookTools(k)
	if err != nil {
		return nil, err
	}
	alsaBase, err := alsaBaseConfig()
	if err != nil {
		return nil, err
	}
	// A short path: the socket's path must fit in sun_path (108 bytes),
	// which a test's TempDir does not always do.
	dir, err := os.MkdirTemp("", "webcall-pulse-")
	if err != nil {
		return nil, fmt.Errorf("create %s directory: %w", k, err)
	}
	s := &Server{kind: k, dir: dir, devices: tunedDevices, socket: filepath.Join(dir, "native")}
	if k != tuned {
		// default.pa's native protocol module listens in the runtime
		// directory, and so does pipewire-pulse (PULSE_RUNTIME_PATH).
		s.devices, s.socket = stockDevices, filepath.Join(s.runtimeDir(), "native")
	}
	args, err := s.writeConfig(alsaBase)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.daemon, err = proc.StartProcess(ctx, proc.Spec{
		Name:         name,
		Path:         bin,
		Args:         args,
		Env:          s.daemonEnv(),
		Grace:        stopGrace,
		Ready:        s.answers,
		ReadyTimeout: ReadyTimeout,
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("run %w", err)
	}
	if k != tuned {
		if err := s.makeStockDevices(ctx); err != nil {
			s.Stop()
			return nil, fmt.Errorf("%w\n%s log (all of it in %s):\n%s", err, k, s.daemon.LogPath(), s.Log())
		}
	}
	return s, nil
}

// lookTools returns the name (for messages and the log's file) and the
// path of the program that runs a server of kind k, or an error naming
// what is not installed and the Debian packages to install.
func lookTools(k kind) (name, bin string, err error) {
	if k == pipeWire {
		bin, err := lookPipeWireTools()
		return "pipewire", bin, err
	}
	bin, err = exec.LookPath("pulseaudio")
	if err != nil {
		return "", "", fmt.Errorf("pulseaudio is not installed (Debian: apt-get install pulseaudio pulseaudio-utils libasound2-plugins alsa-utils): %w", err)
	}
	for _, tool := range []string{"pactl", "pacat"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", "", fmt.Errorf("%s is not installed (Debian: apt-get install pulseaudio-utils): %w", tool, err)
		}
	}
	return "pulseaudio", bin, nil
}

// writeConfig writes the files of s.dir and returns the daemon's
// arguments for the configuration chosen.
func (s *Server) writeConfig(alsaBase string) ([]string, error) {
	if err := s.writeClientConfig(alsaBase); err != nil {
		return nil, err
	}
	switch s.kind {
	case stock:
		return s.stockArgs()
	case pipeWire:
		return s.pipewireArgs()
	}
	return s.tunedArgs()
}

// answers is the daemon's readiness: its socket is there and pactl gets
// an answer through it (and, for PipeWire, WirePlumber is there to link
// streams to devices).
func (s *Server) answers(ctx context.Context) error {
	if _, err := os.Stat(s.socket); err != nil {
		return fmt.Errorf("no socket %s yet", s.socket)
	}
	if _, err := s.Pactl("info"); err != nil {
		return err
	}
	if s.kind == pipeWire {
		return s.wireplumberConnected(ctx)
	}
	return nil
}

// Devices names this daemon's virtual devices.
func (s *Server) Devices() Devices { return s.devices }

// Stock reports whether this is a stock PulseAudio daemon (StartStock).
func (s *Server) Stock() bool { return s.kind == stock }

// PipeWire reports whether this is PipeWire's server (StartPipeWire).
func (s *Server) PipeWire() bool { return s.kind == pipeWire }

// defaultLatency reports whether the test's own players and recorders
// ask for the server's default latency, as users' programs do (see the
// package comment): on the servers that stand for what users have.
func (s *Server) defaultLatency() bool { return s.kind != tuned }

// Env returns the environment variables that make a process use this
// daemon: libpulse's server and client configuration, and ALSA's
// configuration with the virtual devices. Append them to a child's
// environment.
func (s *Server) Env() []string { return append([]string(nil), s.env...) }

// Setenv sets Env in the test process itself for the rest of the test, for
// tests that open devices in-process (PortAudio reads the environment when
// it initialises).
func (s *Server) Setenv(t testing.TB) {
	for _, kv := range s.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Command returns a command that runs with this daemon's environment, in a
// process group of its own that ctx's end kills.
func (s *Server) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := proc.Command(ctx, name, args...)
	cmd.Env = s.clientEnv()
	return cmd
}

// Pactl runs pactl against the daemon and returns its output.
func (s *Server) Pactl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := s.Command(ctx, "pactl", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pactl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// LoadModule loads a module and returns its index for UnloadModule.
func (s *Server) LoadModule(name string, args ...string) (string, error) {
	out, err := s.Pactl(append([]string{"load-module", name}, args...)...)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// UnloadModule unloads the module with the given index (or every module of
// the given name): unloading a null sink is how a test pulls the plug on a
// device.
func (s *Server) UnloadModule(index string) error {
	_, err := s.Pactl("unload-module", index)
	return err
}

// Log returns the end of the daemon's output.
func (s *Server) Log() string { return s.daemon.Tail(logLimit) }

// Exited is closed when the daemon has exited.
func (s *Server) Exited() <-chan struct{} { return s.daemon.Exited() }

// Stop stops the daemon (SIGTERM, then SIGKILL after a grace period), and
// a stock daemon's microphone feed before it, and removes its directory.
// It is safe to call more than once: tests call it to take the devices
// away mid-call, and Cleanup calls it again. The daemon's log stays until
// Close.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.feed != nil {
			errs = append(errs, s.feed.stop())
		}
		errs = append(errs, s.daemon.Stop())
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s directory: %w", s.kind, err))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// Close stops the daemon and removes its logs.
func (s *Server) Close() error {
	err := s.Stop()
	if s.feed != nil {
		err = errors.Join(err, s.feed.close())
	}
	return errors.Join(err, s.daemon.Close())
}
