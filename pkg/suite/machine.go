package suite

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/webcall-cli/webcall/pkg/report"
)

// load is what the machine was doing when the run began, to say at the end
// whether it kept up.
type load struct {
	wall  time.Time
	cpu   time.Duration
	load1 float64
}

func startLoad() load {
	return load{wall: time.Now(), cpu: processCPU(), load1: loadAverage()}
}

// finish describes the machine over the run. It is overloaded when the
// calls' audio went out late (a call's p99 lateness over bound) or this
// process alone kept the CPUs busy: then the latencies in the report hold
// this machine's delays too, not only the agent's.
func (l load) finish(rep *report.Report, bound time.Duration) report.Machine {
	host, _ := os.Hostname()
	wall := time.Since(l.wall)
	m := report.Machine{
		Hostname:     host,
		Shard:        rep.Shard,
		CPUs:         runtime.NumCPU(),
		Load1Start:   l.load1,
		Load1End:     loadAverage(),
		PeakRSSBytes: peakRSS(),
	}
	if wall > 0 {
		m.CPUPercent = float64(processCPU()-l.cpu) / float64(wall) * 100
	}
	var late []int64
	for _, c := range rep.Calls {
		if c.Pacing.Frames > 0 {
			late = append(late, c.Pacing.LateP99US)
		}
	}
	if len(late) > 0 {
		worst := slices.Max(late)
		if time.Duration(worst)*time.Microsecond > bound {
			m.Overloaded = true
			m.Notes = append(m.Notes, fmt.Sprintf("send pacing p99 reached %.1f ms (bound %s): the latencies include this machine's lateness, not only the agent's", float64(worst)/1000, bound))
		}
	}
	if m.CPUPercent >= 90*float64(m.CPUs) {
		m.Overloaded = true
		m.Notes = append(m.Notes, fmt.Sprintf("webcall used %.0f%% CPU of %d cores: the machine was saturated", m.CPUPercent, m.CPUs))
	}
	return m
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is this process's peak resident memory, in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes there, kilobytes on Linux
	}
	return int64(ru.Maxrss) * 1024
}

// loadAverage is the 1-minute load average, or 0 where /proc has none.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
