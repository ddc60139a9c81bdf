// Package pulse runs a private PulseAudio daemon with virtual devices, so
// that tests can drive webcall's real PortAudio path on machines without a
// sound card (CI).
//
// The daemon is started as a child process with everything it touches under
// one temporary directory: its socket, runtime and state directories, its
// HOME, a client configuration (no autospawn) and an ALSA configuration.
// Nothing system-wide is read or written beyond the installed packages, so
// several daemons (one per test package) can run at once, and none outlives
// its test.
//
// The virtual devices:
//
//	SpeakerSink     a null sink: the virtual speaker. What is played into it
//	                can be recorded from SpeakerMonitor.
//	MicSink         a null sink that nothing plays into except the test:
//	                its monitor, MicSource, is the virtual microphone.
//
// PortAudio reaches them through ALSA's pulse plugin. The ALSA
// configuration written for each daemon (used through ALSA_CONFIG_PATH, so
// it applies only to processes given Env) makes `default` the daemon's
// default devices (the virtual speaker and microphone) and adds two named
// PCMs, ALSAMic and ALSASpeaker, that PortAudio lists as devices of those
// names.
//
// Goroutines: each Server owns one goroutine that waits for the daemon to
// exit (Stop makes sure it does); each Recording owns one that copies the
// recorder's output and ends when the recorder exits.
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
	"syscall"
	"testing"
	"time"
)

// Names of the virtual devices.
const (
	// SpeakerSink is the PulseAudio sink that plays the part of a speaker.
	SpeakerSink = "webcall_speaker"
	// SpeakerMonitor records what was played into SpeakerSink.
	SpeakerMonitor = SpeakerSink + ".monitor"
	// MicSink is where tests play what the virtual microphone hears.
	MicSink = "webcall_mic"
	// MicSource is the virtual microphone: the monitor of MicSink.
	MicSource = MicSink + ".monitor"

	// ALSAMic and ALSASpeaker are the names PortAudio lists for the
	// virtual microphone and speaker (ALSA PCMs of the pulse plugin).
	ALSAMic     = "webcall_mic"
	ALSASpeaker = "webcall_speaker"
)

// Rate is the sample rate of the virtual devices and of Record's output.
const Rate = 48000

// ReadyTimeout bounds how long a new daemon may take to answer.
const ReadyTimeout = 10 * time.Second

// stopGrace is how long Stop waits after SIGTERM before it kills.
const stopGrace = 3 * time.Second

// commandTimeout bounds one pactl call: a daemon that does not answer in
// this time is broken, and a test must not hang on it.
const commandTimeout = 10 * time.Second

// logLimit bounds the daemon output kept for error messages.
const logLimit = 64 << 10

// Server is a running PulseAudio daemon with the virtual devices loaded.
type Server struct {
	dir    string
	socket string
	env    []string

	cmd     *exec.Cmd
	log     *tailBuffer
	exited  chan struct{}
	waitErr error // set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts a daemon for the test and stops it when the test ends. It
// fails the test with the reason, never skips it, when PulseAudio cannot
// start: a skipped device test looks like a passing one in CI. Only -short
// (unit tests only, by request) skips it.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test needs a PulseAudio daemon")
	}
	ctx, cancel := context.WithTimeout(context.Background(), ReadyTimeout)
	defer cancel()
	s, err := StartProcess(ctx)
	if err != nil {
		t.Fatalf("start PulseAudio: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop PulseAudio: %v", err)
		}
		if t.Failed() {
			t.Logf("pulseaudio log (tail):\n%s", s.Log())
		}
	})
	return s
}

// StartProcess starts a daemon and returns once it answers. ctx bounds the
// start; the daemon runs until Stop.
func StartProcess(ctx context.Context) (*Server, error) {
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		return nil, fmt.Errorf("pulseaudio is not installed (Debian: apt-get install pulseaudio pulseaudio-utils libasound2-plugins alsa-utils): %w", err)
	}
	for _, tool := range []string{"pactl", "pacat"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is not installed (Debian: apt-get install pulseaudio-utils): %w", tool, err)
		}
	}
	alsaConf, err := alsaBaseConfig()
	if err != nil {
		return nil, err
	}
	// A short path: the socket's path must fit in sun_path (108 bytes),
	// which a test's TempDir does not always do.
	dir, err := os.MkdirTemp("", "webcall-pulse-")
	if err != nil {
		return nil, fmt.Errorf("create PulseAudio directory: %w", err)
	}
	s := &Server{dir: dir, socket: filepath.Join(dir, "native"), log: &tailBuffer{limit: logLimit}, exited: make(chan struct{})}
	if err := s.writeConfig(alsaConf); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}

	cmd := exec.Command(bin,
		"-n", // no default.pa: no hardware detection, nothing but our script
		"--file="+filepath.Join(dir, "webcall.pa"),
		"--daemonize=no",
		"--exit-idle-time=-1", // stay up while no client is connected
		"--use-pid-file=no",
		"--system=no",
		"--realtime=no",
		"--high-priority=no",
		// The CPU limiter kills a daemon that is starved of CPU for a
		// few seconds, which a loaded CI machine can do.
		"--no-cpu-limit=yes",
		"--log-target=stderr",
		// Audio over the socket: no shared memory segments to leak.
		"--disable-shm=yes",
	)
	cmd.Env = append(baseEnv(), s.daemonEnv()...)
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("run pulseaudio: %w", err)
	}
	s.cmd = cmd
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w\npulseaudio log:\n%s", err, s.Log())
	}
	return s, nil
}

// writeConfig writes the daemon's start-up script, the client
// configuration and the ALSA configuration into s.dir.
func (s *Server) writeConfig(alsaBase string) error {
	for _, sub := range []string{"run", "state", "home"} {
		if err := os.Mkdir(filepath.Join(s.dir, sub), 0o700); err != nil {
			return fmt.Errorf("create PulseAudio directory: %w", err)
		}
	}
	// Mono 48 kHz sinks: webcall's own format, so the daemon converts
	// nothing on the way between the test and webcall.
	//
	// A null sink with no client asking for low latency renders two
	// seconds ahead, and a stream that connects then waits up to two
	// seconds before the sink takes its first samples: a startup stall
	// real sound cards do not have. So each sink gets a permanent
	// low-latency client from the start (a loopback of silence), and is
	// suspended while it is attached, which resets its clock. Loopbacks
	// are pinned to their devices: otherwise a stream on the default
	// source follows it when the default changes, and the silence
	// loopback would become a loop from the microphone to the speaker.
	script := strings.NewReplacer(
		"$SOCKET", s.socket, "$RATE", fmt.Sprint(Rate),
		"$SPEAKER", SpeakerSink, "$MIC", MicSink, "$DEFAULTSOURCE", MicSource,
	).Replace(`load-module module-native-protocol-unix auth-anonymous=1 socket=$SOCKET
load-module module-null-sink sink_name=$SPEAKER rate=$RATE channels=1 sink_properties=device.description=Virtual_speaker
load-module module-null-sink sink_name=$MIC rate=$RATE channels=1 sink_properties=device.description=Virtual_microphone_feed
suspend-sink $SPEAKER 1
suspend-sink $MIC 1
load-module module-null-source source_name=webcall_silence rate=$RATE channels=1
load-module module-loopback source=webcall_silence sink=$SPEAKER latency_msec=10 source_dont_move=true sink_dont_move=true
load-module module-loopback source=webcall_silence sink=$MIC latency_msec=10 source_dont_move=true sink_dont_move=true
suspend-sink $SPEAKER 0
suspend-sink $MIC 0
set-default-sink $SPEAKER
set-default-source $DEFAULTSOURCE
`)
	// Clients never start a daemon of their own: with this daemon gone,
	// a test must see no devices, not a fresh daemon.
	client := fmt.Sprintf("autospawn = no\ndefault-server = unix:%s\n", s.socket)
	server := fmt.Sprintf("unix:%s", s.socket)
	alsa := fmt.Sprintf(`# Written by internal/pulse for one test's PulseAudio daemon.
pcm.!default {
	type pulse
	server "%[1]s"
	hint { show on description "Default (test PulseAudio daemon)" }
}
ctl.!default {
	type pulse
	server "%[1]s"
}
pcm.%[2]s {
	type pulse
	server "%[1]s"
	device "%[3]s"
	hint { show on description "Virtual microphone" }
}
pcm.%[4]s {
	type pulse
	server "%[1]s"
	device "%[5]s"
	hint { show on description "Virtual speaker" }
}
`, server, ALSAMic, MicSource, ALSASpeaker, SpeakerSink)
	files := map[string]string{
		"webcall.pa":  script,
		"client.conf": client,
		"asound.conf": alsa,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(text), 0o600); err != nil {
			return fmt.Errorf("write PulseAudio configuration: %w", err)
		}
	}
	s.env = []string{
		"PULSE_SERVER=" + server,
		"PULSE_CLIENTCONFIG=" + filepath.Join(s.dir, "client.conf"),
		"PULSE_COOKIE=" + filepath.Join(s.dir, "cookie"),
		// alsa.conf first (the system's definitions, including the
		// pulse plugin), then ours, which overrides the default.
		"ALSA_CONFIG_PATH=" + alsaBase + ":" + filepath.Join(s.dir, "asound.conf"),
	}
	return nil
}

// daemonEnv keeps the daemon's files inside s.dir.
func (s *Server) daemonEnv() []string {
	return append([]string{
		"HOME=" + filepath.Join(s.dir, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(s.dir, "home"),
		"XDG_RUNTIME_DIR=" + filepath.Join(s.dir, "run"),
		"PULSE_RUNTIME_PATH=" + filepath.Join(s.dir, "run"),
		"PULSE_STATE_PATH=" + filepath.Join(s.dir, "state"),
	}, s.env...)
}

// alsaBaseConfig returns ALSA's top-level configuration file: the one that
// ALSA_CONFIG_PATH replaces, which our file is appended to.
func alsaBaseConfig() (string, error) {
	if p := os.Getenv("ALSA_CONFIG_PATH"); p != "" {
		return p, nil
	}
	const p = "/usr/share/alsa/alsa.conf"
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("ALSA configuration not found (Debian: apt-get install libasound2 libasound2-plugins): %w", err)
	}
	if _, err := os.Stat("/usr/share/alsa/alsa.conf.d/pulse.conf"); err != nil {
		return "", fmt.Errorf("the ALSA pulse plugin is not installed (Debian: apt-get install libasound2-plugins): %w", err)
	}
	return p, nil
}

// baseEnv is the environment of the test process without any PulseAudio or
// ALSA settings it may have, so that every child talks to this daemon.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "PULSE_SERVER", "PULSE_CLIENTCONFIG", "PULSE_COOKIE", "PULSE_RUNTIME_PATH",
			"PULSE_STATE_PATH", "PULSE_SINK", "PULSE_SOURCE", "ALSA_CONFIG_PATH":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (s *Server) waitReady(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("pulseaudio exited while starting: %v", s.waitErr)
		default:
		}
		if _, err := os.Stat(s.socket); err == nil {
			if _, err := s.Pactl("info"); err == nil {
				return nil
			} else {
				lastErr = err
			}
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("pulseaudio did not answer within %s: %v", ReadyTimeout, lastErr)
			}
			return fmt.Errorf("pulseaudio did not create its socket %s within %s", s.socket, ReadyTimeout)
		case <-s.exited:
		case <-tick.C:
		}
	}
}

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

// Command returns a command that runs with this daemon's environment.
func (s *Server) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(baseEnv(), s.env...)
	cmd.SysProcAttr = sysProcAttr()
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

// Loopback feeds what source hears into sink with about the given latency,
// until the test ends: the acoustic path from a speaker back into a
// microphone. Like a room's, the path's delay stays the same: the loopback
// does not adapt its rate (all virtual devices run on one clock anyway),
// which would make the delay wander by milliseconds and no echo canceller
// could follow it.
func (s *Server) Loopback(t testing.TB, source, sink string, latency time.Duration) {
	t.Helper()
	id, err := s.LoadModule("module-loopback", "source="+source, "sink="+sink,
		fmt.Sprintf("latency_msec=%d", latency.Milliseconds()), "adjust_time=0",
		"source_dont_move=true", "sink_dont_move=true")
	if err != nil {
		t.Fatalf("loop %s back into %s: %v", source, sink, err)
	}
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.UnloadModule(id)
		}
	})
}

// Play plays 48 kHz mono samples into sink in real time, as a microphone
// would hear them, and returns when they have been played (or ctx ends).
func (s *Server) Play(ctx context.Context, sink string, samples []int16) error {
	cmd := s.Command(ctx, "pacat", "--playback", "--raw", "--device="+sink,
		"--format=s16le", fmt.Sprintf("--rate=%d", Rate), "--channels=1", "--latency-msec=10")
	cmd.Stdin = bytes.NewReader(int16Bytes(samples))
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pacat into %s: %v: %s", sink, err, strings.TrimSpace(errOut.String()))
	}
	return nil
}

// Log returns the end of the daemon's output.
func (s *Server) Log() string { return s.log.String() }

// Exited is closed when the daemon has exited.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Stop stops the daemon (SIGTERM, then SIGKILL after a grace period) and
// removes its directory. It is safe to call more than once: tests call it
// to take the devices away mid-call, and Cleanup calls it again.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(stopGrace):
				s.cmd.Process.Kill()
				<-s.exited
			}
		}
		if err := os.RemoveAll(s.dir); err != nil {
			s.stopErr = fmt.Errorf("remove PulseAudio directory: %w", err)
		}
	})
	return s.stopErr
}

// Recording is what a source heard, recorded with parec.
type Recording struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	data []byte
	done chan struct{}
	err  error // set before done is closed

	stopOnce sync.Once
	samples  []int16
}

// Record starts recording source as 48 kHz mono until Stop (or the end of
// the test).
func (s *Server) Record(t testing.TB, source string) *Recording {
	t.Helper()
	cmd := s.Command(context.Background(), "pacat", "--record", "--raw", "--device="+source,
		"--format=s16le", fmt.Sprintf("--rate=%d", Rate), "--channels=1", "--latency-msec=10")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("record %s: %v", source, err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatalf("record %s: %v", source, err)
	}
	r := &Recording{cmd: cmd, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := stdout.Read(buf)
			r.mu.Lock()
			r.data = append(r.data, buf[:n]...)
			r.mu.Unlock()
			if err != nil {
				break
			}
		}
		if err := cmd.Wait(); err != nil && !isSignalled(err) {
			r.err = fmt.Errorf("pacat --record %s: %v: %s", source, err, strings.TrimSpace(errOut.String()))
		}
		close(r.done)
	}()
	t.Cleanup(func() { r.Stop() })
	return r
}

// Samples returns what has been recorded so far.
func (r *Recording) Samples() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytesInt16(r.data)
}

// Stop ends the recording and returns all of it. Calling it again returns
// the same samples.
func (r *Recording) Stop() ([]int16, error) {
	r.stopOnce.Do(func() {
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(stopGrace):
			r.cmd.Process.Kill()
			<-r.done
		}
		r.samples = r.Samples()
	})
	return r.samples, r.err
}

func isSignalled(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}

func int16Bytes(samples []int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, v := range samples {
		b[2*i] = byte(v)
		b[2*i+1] = byte(uint16(v) >> 8)
	}
	return b
}

func bytesInt16(b []byte) []int16 {
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return s
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	mu    sync.Mutex
	buf   []byte
	limit int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
