package pulse

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// stockArgs writes the stock daemon's start-up script, the system's
// default.pa as the daemon would run it, and returns the daemon's
// arguments: the defaults of `pulseaudio -D --exit-idle-time=-1`, except
// that it stays in the foreground, where proc can stop it and the kernel
// ends it with the test binary, and logs there.
func (s *Server) stockArgs() ([]string, error) {
	system, err := defaultScript(s.daemonEnv())
	if err != nil {
		return nil, err
	}
	text, err := os.ReadFile(system)
	if err != nil {
		return nil, fmt.Errorf("read the system's PulseAudio script: %w", err)
	}
	path := filepath.Join(s.dir, "default.pa")
	if err := os.WriteFile(path, withoutHardware(text, system), 0o600); err != nil {
		return nil, fmt.Errorf("write PulseAudio configuration: %w", err)
	}
	return []string{
		"-n", "--file=" + path,
		"--daemonize=no",
		"--exit-idle-time=-1",
	}, nil
}

// defaultScript asks pulseaudio which start-up script it runs by default,
// with the daemon's own environment: with no script in its private HOME,
// the system's.
func defaultScript(env []string) (string, error) {
	cmd := exec.Command("pulseaudio", "--dump-conf")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("pulseaudio --dump-conf: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.TrimSpace(k) == "default-script-file" {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("pulseaudio --dump-conf names no default-script-file:\n%s", out)
}

// hardwareModules are default.pa's modules that find sound cards and
// Bluetooth devices. On the machines this mode stands for (containers, CI:
// no sound card) they load nothing; on a developer's machine they would
// open the real sound card under the user's own sound server.
var hardwareModules = regexp.MustCompile(`(?m)^(\s*load-module\s+module-(?:udev-detect|detect|bluetooth-discover)\b.*)$`)

// withoutHardware returns the system's script with the hardware modules
// left out, and nothing else changed.
func withoutHardware(script []byte, from string) []byte {
	out := hardwareModules.ReplaceAll(script, []byte("# (left out by internal/pulse: no hardware in tests) $1"))
	return append([]byte("# "+from+", as internal/pulse runs it.\n"), out...)
}

// makeStockDevices makes the devices of a stock daemon as a container's
// are made, with pactl: the speaker and the microphone's feed as null
// sinks, the microphone as a remap source on the feed's monitor, a
// near-silent stream kept playing into the feed, and the speaker and the
// microphone as the defaults.
//
// On PipeWire they are mono: its mono stream of a stereo source carries
// the sum of the channels at -3 dB each, so that a mono voice played on
// both channels is heard 3 dB louder than it was played (PulseAudio
// averages them). Mono devices keep the levels the tests compare.
// PipeWire's own default sink (auto_null, made by module-always-sink
// while there is no other) gives way to the speaker.
func (s *Server) makeStockDevices(ctx context.Context) error {
	d := s.devices
	var format []string
	if s.kind == pipeWire {
		format = []string{"channels=1"}
	}
	for _, args := range [][]string{
		append([]string{"load-module", "module-null-sink", "sink_name=" + d.Speaker}, format...),
		append([]string{"load-module", "module-null-sink", "sink_name=" + d.MicFeed}, format...),
		append([]string{"load-module", "module-remap-source", "master=" + d.MicFeed + ".monitor", "source_name=" + d.Mic}, format...),
	} {
		if _, err := s.Pactl(args...); err != nil {
			return err
		}
	}
	feed, err := startMicFeed(ctx, s)
	if err != nil {
		return err
	}
	s.feed = feed
	for _, args := range [][]string{
		{"set-default-sink", d.Speaker},
		{"set-default-source", d.Mic},
	} {
		if _, err := s.Pactl(args...); err != nil {
			return err
		}
	}
	return nil
}
