package pulse

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// A PipeWire server (StartPipeWire) is what a desktop session starts, run
// by a script of ours (pipewireScript) as the one process proc starts:
// a session bus of its own (WirePlumber exits without one), pipewire,
// WirePlumber (without it no stream is ever linked to a device) and
// pipewire-pulse, the PulseAudio server that libpulse and the ALSA pulse
// plugin talk to. Each runs in the script's process group, so Stop's
// signals reach them all; the script waits for each, so none is left to
// init, and each dies with the script (setpriv --pdeathsig) should the
// script be killed with the test binary.
//
// The bus is dbus-daemon run by the script rather than dbus-run-session:
// dbus-run-session, once its child has exited or it is itself signalled,
// leaves its dbus-daemon to init and returns at once, so every Stop would
// leave a dbus-daemon behind for a moment. The bus has no service
// directories, so that nothing (a desktop portal) is started on it.
//
// The daemons run their system-wide configuration (/usr/share/pipewire,
// /usr/share/wireplumber, and /etc) with one change of ours: WirePlumber
// does not look for sound cards, cameras or Bluetooth devices, which find
// nothing in a container and on a developer's machine would take the real
// sound card from the user's own sound server (as stock.go leaves out
// default.pa's module-udev-detect). Its state (the defaults it restores)
// is kept in the server's private directory, so each server starts afresh.

// pipewireTools are the programs a PipeWire server needs, and the Debian
// packages that provide them: the daemons first, then what the package
// drives them with.
var pipewireTools = []struct{ name, pkg string }{
	{"pipewire", "pipewire"},
	{"wireplumber", "wireplumber"},
	{"pipewire-pulse", "pipewire-pulse"},
	{"dbus-daemon", "dbus-daemon"},
	{"setpriv", "util-linux"},
	{"bash", "bash"},
	{"pactl", "pulseaudio-utils"},
	{"pacat", "pulseaudio-utils"},
}

// pipewirePackages is what to install for a PipeWire server, as the
// Makefile does (never pipewire-alsa: it would make ALSA's default device
// PipeWire's for the whole machine).
const pipewirePackages = "apt-get install --no-install-recommends pipewire pipewire-pulse wireplumber dbus-daemon pulseaudio-utils libasound2-plugins"

// lookPipeWireTools returns the path of bash, or an error naming what is
// missing and the packages to install.
func lookPipeWireTools() (string, error) {
	var missing, pkgs []string
	for _, t := range pipewireTools {
		if _, err := exec.LookPath(t.name); err != nil {
			missing = append(missing, t.name)
			pkgs = append(pkgs, t.pkg)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("PipeWire's PulseAudio server needs %s, not installed (package %s; Debian: %s)",
			strings.Join(missing, ", "), strings.Join(dedup(pkgs), ", "), pipewirePackages)
	}
	return exec.LookPath("bash")
}

func dedup(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

// The PipeWire server's files under s.dir.
func (s *Server) busSocket() string { return filepath.Join(s.dir, "bus") }

// pipewireArgs writes the PipeWire server's files (the script, the bus's
// configuration, WirePlumber's change) and returns the arguments of bash
// that run the script.
func (s *Server) pipewireArgs() ([]string, error) {
	files := map[string]string{
		filepath.Join(s.dir, "pipewire.sh"): pipewireScript,
		filepath.Join(s.dir, "bus.conf"):    fmt.Sprintf(busConfig, s.busSocket()),
		// Before 90-enable-all.lua, which enables what is enabled.
		filepath.Join(s.homeDir(), "wireplumber", "main.lua.d", "80-webcall-no-hardware.lua"): `-- Written by internal/pulse: no sound cards or cameras in tests.
alsa_monitor.enabled = false
v4l2_monitor.enabled = false
libcamera_monitor.enabled = false
`,
		filepath.Join(s.homeDir(), "wireplumber", "bluetooth.lua.d", "80-webcall-no-hardware.lua"): `-- Written by internal/pulse: no Bluetooth devices in tests.
bluez_monitor.enabled = false
`,
	}
	for path, text := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create PipeWire directory: %w", err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return nil, fmt.Errorf("write PipeWire configuration: %w", err)
		}
	}
	return []string{filepath.Join(s.dir, "pipewire.sh"), filepath.Join(s.dir, "bus.conf")}, nil
}

// pipewireEnv is what the PipeWire server's daemons need on top of
// daemonEnv: their session bus, and where WirePlumber keeps its state.
func (s *Server) pipewireEnv() []string {
	return []string{
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + s.busSocket(),
		"XDG_STATE_HOME=" + s.stateDir(),
	}
}

// busConfig is the session bus's configuration (%s: its socket): the
// system's session.conf without its service directories and includes.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- Written by internal/pulse: the session bus of one test's PipeWire. -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// pipewireScript starts the daemons in the order a session does, each
// once the one it talks to listens, and waits. SIGTERM (Stop's, sent to
// the whole group) ends them all; a daemon that exits by itself ends the
// others, and the script, with a message in the log.
//
// $1 is the bus's configuration; the environment is the daemons'.
const pipewireScript = `# Written by internal/pulse: one test's PipeWire, started as a session does.
set -u
declare -A name
pids=()
stop() { kill "${pids[@]}" 2>/dev/null; wait; }
trap 'stop; exit 0' TERM INT
# Each daemon dies with this script, should it be killed.
run() { setpriv --pdeathsig KILL -- "$@" & pids+=($!); name[$!]=$1; }
# listening waits until the daemon last started listens on socket $1.
listening() {
	for _ in $(seq 250); do
		[ -S "$1" ] && return
		kill -0 $! 2>/dev/null || break
		sleep 0.02
	done
	echo "internal/pulse: ${name[$!]} does not listen on $1" >&2
	stop
	exit 1
}
run dbus-daemon --config-file="$1" --nofork --nopidfile --nosyslog
listening "${DBUS_SESSION_BUS_ADDRESS#unix:path=}"
run pipewire
listening "$XDG_RUNTIME_DIR/pipewire-0"
run wireplumber
run pipewire-pulse
wait -n -p who
status=$?
echo "internal/pulse: ${name[${who:-0}]:-a daemon} exited (status $status); stopping the others" >&2
stop
exit 1
`

// wireplumberConnected reports whether WirePlumber is among PipeWire's
// clients: until it is, no stream reaches a device.
func (s *Server) wireplumberConnected(context.Context) error {
	out, err := s.Pactl("list", "clients")
	if err != nil {
		return err
	}
	if !strings.Contains(out, `application.name = "WirePlumber"`) {
		return fmt.Errorf("WirePlumber has not connected to PipeWire yet")
	}
	return nil
}
