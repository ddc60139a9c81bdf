package pulse

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

// PipeWire's server is PipeWire's, in its default configuration, with the
// stock daemon's devices, mono, and the defaults set.
func TestPipeWireIsTheDefaultConfiguration(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	s := StartPipeWire(t)
	info, err := s.Pactl("info")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "Server Name: PulseAudio (on PipeWire") {
		t.Errorf("the server is not PipeWire's:\n%s", info)
	}
	modules, err := s.Pactl("list", "short", "modules")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"module-always-sink", "libpipewire-module-protocol-native",
		"module-null-sink\tsink_name=spk channels=1", "module-null-sink\tsink_name=micfeed channels=1",
		"module-remap-source\tmaster=micfeed.monitor source_name=mic channels=1"} {
		if !strings.Contains(modules, want) {
			t.Errorf("modules lack %q:\n%s", want, modules)
		}
	}
	sinks, err := s.Pactl("list", "short", "sinks")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sinks, "spk\tPipeWire\tfloat32le 1ch 48000Hz") {
		t.Errorf("the speaker is not a mono sink of PipeWire's default rate:\n%s", sinks)
	}
	if strings.Contains(sinks, "auto_null") {
		t.Errorf("PipeWire's own null sink is still there:\n%s", sinks)
	}
	sources, err := s.Pactl("list", "short", "sources")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sources, "mic\tPipeWire\tfloat32le 1ch") {
		t.Errorf("the microphone is not a mono source:\n%s", sources)
	}
	if err := s.sinkRunning("micfeed"); err != nil {
		t.Errorf("the microphone's feed is not playing: %v", err)
	}
}

// The microphone hears its noise floor on PipeWire as on a stock daemon.
func TestPipeWireMicHearsItsNoiseFloor(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	s := StartPipeWire(t)
	got, err := s.Record(t, s.Devices().Mic).Stop()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < Rate {
		t.Fatalf("recorded %d samples, want the microphone to deliver", len(got))
	}
	if r := rms(got); r == 0 || r > 30 {
		t.Errorf("the microphone's RMS is %.1f, want a noise floor (about 9)", r)
	}
}

// The daemons and their bus run in the script's process group, and Stop
// leaves none of them, alive or dead, behind.
func TestPipeWireStopLeavesNoProcess(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	s := StartPipeWire(t)
	group := s.daemon.Pid()
	running := groupMembers(t, group)
	for _, daemon := range []string{"dbus-daemon", "pipewire", "wireplumber", "pipewire-pulse"} {
		if pid(running, daemon) == 0 {
			t.Errorf("no %s in the server's process group: %v", daemon, running)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if left := groupMembers(t, group); len(left) > 0 {
		t.Errorf("left behind by Stop: %v", left)
	}
}

// A script killed outright (as with the test binary: proc's Pdeathsig)
// takes its daemons with it.
func TestPipeWireDaemonsDieWithTheScript(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	s := StartPipeWire(t)
	group := s.daemon.Pid()
	if err := syscall.Kill(group, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.Exited()
	var left []member
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if left = liveMembers(t, group); len(left) == 0 {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("alive after the script was killed: %v", left)
	}
}

// A daemon that exits by itself takes the others with it: the server is
// gone, and its log says which one went first.
func TestPipeWireDaemonExitEndsTheServer(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	s := StartPipeWire(t)
	group := s.daemon.Pid()
	wp := pid(groupMembers(t, group), "wireplumber")
	if wp == 0 {
		t.Fatal("no wireplumber")
	}
	if err := syscall.Kill(wp, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("the server runs on without WirePlumber")
	}
	if log := s.Log(); !strings.Contains(log, "wireplumber exited (status 137); stopping the others") {
		t.Errorf("the log does not say WirePlumber went first:\n%s", log)
	}
	if left := groupMembers(t, group); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// pid returns the id of the member of that name (0: none).
func pid(ms []member, name string) int {
	for _, m := range ms {
		if m.name == name && !m.zombie {
			return m.pid
		}
	}
	return 0
}

// A missing program fails the start with the packages to install.
func TestPipeWireNamesMissingPackages(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range pipewireTools {
		if tool.name == "wireplumber" {
			continue
		}
		path, err := exec.LookPath(tool.name)
		if err != nil {
			t.Fatalf("%s: %v", tool.name, err)
		}
		if err := os.Symlink(path, filepath.Join(bin, tool.name)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
	s, err := StartProcess(context.Background(), Options{PipeWire: true})
	if err == nil {
		s.Close()
		t.Fatal("PipeWire started without wireplumber")
	}
	for _, want := range []string{"needs wireplumber,", "package wireplumber;", "apt-get install --no-install-recommends pipewire pipewire-pulse wireplumber dbus-daemon"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestOptionsChooseOneServer(t *testing.T) {
	if _, err := StartProcess(context.Background(), Options{Stock: true, PipeWire: true}); err == nil {
		t.Fatal("Stock and PipeWire together: no error")
	}
}

// member is a process of a process group.
type member struct {
	pid    int
	name   string
	zombie bool
}

func (m member) String() string {
	if m.zombie {
		return m.name + "(zombie)"
	}
	return m.name
}

// groupMembers lists the processes of a process group, zombies too.
func groupMembers(t *testing.T, group int) []member { return members(t, group, true) }

// liveMembers lists the processes of a process group that are not
// zombies (waiting for init, which is slow to reap on some machines).
func liveMembers(t *testing.T, group int) []member { return members(t, group, false) }

func members(t *testing.T, group int, zombies bool) []member {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []member
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces.
		stat := string(b)
		open, close := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(stat[close+1:])
		if len(fields) < 3 || fields[2] != strconv.Itoa(group) {
			continue
		}
		m := member{pid: pid, name: stat[open+1 : close], zombie: fields[0] == "Z"}
		if m.zombie && !zombies {
			continue
		}
		out = append(out, m)
	}
	return out
}
