package pulse

import (
	"errors"
	"fmt"
	"strings"
)

// UnplugMic takes the microphone away as unplugging a USB microphone
// does: it unloads the null sink whose monitor is the microphone (and
// with it the loopback that keeps the sink's clock running), so that
// opening the microphone by name fails. replug loads them again, as the
// tuned start-up script made them. Only the tuned daemon (Start) has
// this microphone.
func (s *Server) UnplugMic() (replug func() error, err error) {
	if s.kind != tuned {
		return nil, errors.New("pulse: UnplugMic needs the tuned daemon (Start)")
	}
	out, err := s.Pactl("list", "short", "modules")
	if err != nil {
		return nil, err
	}
	id := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "module-null-sink" && strings.Contains(line, "sink_name="+s.devices.MicFeed+" ") {
			id = f[0]
		}
	}
	if id == "" {
		return nil, fmt.Errorf("pulse: no null sink %s among the modules:\n%s", s.devices.MicFeed, out)
	}
	if err := s.UnloadModule(id); err != nil {
		return nil, err
	}
	return func() error {
		if _, err := s.LoadModule("module-null-sink", "sink_name="+s.devices.MicFeed, fmt.Sprintf("rate=%d", Rate), "channels=1",
			"sink_properties=device.description=Virtual_microphone_feed"); err != nil {
			return err
		}
		_, err := s.LoadModule("module-loopback", "source=webcall_silence", "sink="+s.devices.MicFeed, "latency_msec=10",
			"source_dont_move=true", "sink_dont_move=true")
		return err
	}, nil
}
