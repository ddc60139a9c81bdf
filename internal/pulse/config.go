package pulse

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The daemon's private directories under s.dir.
func (s *Server) runtimeDir() string { return filepath.Join(s.dir, "run") }
func (s *Server) homeDir() string    { return filepath.Join(s.dir, "home") }
func (s *Server) stateDir() string   { return filepath.Join(s.dir, "state") }

// writeClientConfig makes the daemon's directories and writes what its
// clients use: the client configuration and the ALSA configuration, and
// the environment that points at them.
func (s *Server) writeClientConfig(alsaBase string) error {
	for _, d := range []string{s.runtimeDir(), s.homeDir(), s.stateDir()} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("create PulseAudio directory: %w", err)
		}
	}
	// Clients never start a daemon of their own: with this daemon gone,
	// a test must see no devices, not a fresh daemon.
	client := fmt.Sprintf("autospawn = no\ndefault-server = unix:%s\n", s.socket)
	server := fmt.Sprintf("unix:%s", s.socket)
	// `default` is what the pulse plugin's own configuration makes it
	// when a daemon runs (pulse-alsa.conf), here pinned to this daemon.
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
`, server, ALSAMic, s.devices.Mic, ALSASpeaker, s.devices.Speaker)
	files := map[string]string{
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
		// Where the daemon keeps the cookie it creates (in its
		// XDG_CONFIG_HOME); the tuned daemon needs none.
		"PULSE_COOKIE=" + filepath.Join(s.homeDir(), "pulse", "cookie"),
		// alsa.conf first (the system's definitions, including the
		// pulse plugin), then ours, which overrides the default.
		"ALSA_CONFIG_PATH=" + alsaBase + ":" + filepath.Join(s.dir, "asound.conf"),
	}
	return nil
}

// daemonEnv is the daemon's whole environment: its files stay inside
// s.dir, and it joins no session bus (PipeWire's daemons: only their own)
// and no display, where it would register as the user's sound server or
// meet the user's own. Nothing of a user's PipeWire (PIPEWIRE_REMOTE
// would connect WirePlumber to it) is passed on.
func (s *Server) daemonEnv() []string {
	var env []string
	for _, kv := range baseEnv() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY":
			continue
		}
		if strings.HasPrefix(name, "PIPEWIRE_") || strings.HasPrefix(name, "WIREPLUMBER_") || strings.HasPrefix(name, "SPA_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+s.homeDir(),
		"XDG_CONFIG_HOME="+s.homeDir(),
		"XDG_RUNTIME_DIR="+s.runtimeDir(),
		"PULSE_RUNTIME_PATH="+s.runtimeDir(),
		"PULSE_STATE_PATH="+s.stateDir(),
	)
	if s.kind == pipeWire {
		env = append(env, s.pipewireEnv()...)
	}
	return env
}

// clientEnv is the whole environment of a client of this daemon (pactl,
// pacat, aplay).
func (s *Server) clientEnv() []string { return append(baseEnv(), s.env...) }

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
