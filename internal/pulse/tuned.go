package pulse

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tunedArgs writes the tuned daemon's start-up script and returns the
// daemon's arguments.
//
// The sinks are mono 48 kHz: webcall's own format, so the daemon converts
// nothing on the way between the test and webcall.
//
// A null sink with no client asking for low latency renders two seconds
// ahead, and a stream that connects then waits up to two seconds before
// the sink takes its first samples: a startup stall real sound cards do
// not have. So each sink gets a permanent low-latency client from the
// start (a loopback of silence), and is suspended while it is attached,
// which resets its clock. Loopbacks are pinned to their devices: otherwise
// a stream on the default source follows it when the default changes, and
// the silence loopback would become a loop from the microphone to the
// speaker.
func (s *Server) tunedArgs() ([]string, error) {
	script := strings.NewReplacer(
		"$SOCKET", s.socket, "$RATE", fmt.Sprint(Rate),
		"$SPEAKER", s.devices.Speaker, "$MIC", s.devices.MicFeed, "$DEFAULTSOURCE", s.devices.Mic,
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
	path := filepath.Join(s.dir, "webcall.pa")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		return nil, fmt.Errorf("write PulseAudio configuration: %w", err)
	}
	return []string{
		"-n", // no default.pa: no hardware detection, nothing but our script
		"--file=" + path,
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
	}, nil
}
