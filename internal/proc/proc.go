// Package proc runs the child processes that tests and the demo depend on
// (the LiveKit server, a PulseAudio daemon, its players and recorders) so
// that none of them outlives its owner.
//
// A process started here
//   - runs in a process group of its own, so that stopping it reaches
//     anything it started, and on Linux the kernel kills it if the test
//     binary dies without cleaning up (a test killed by its timeout);
//   - writes its stdout and stderr to a log file rather than a pipe: no
//     goroutine copies the output, nothing is lost when the process is
//     killed, the whole log is there to read after a failure, and Tail
//     gives its end for an error message;
//   - is ready when Spec.Ready says so, and counts as failed to start if it
//     exits first;
//   - is stopped by Stop with polite signals (SIGTERM unless Spec.Signals
//     says otherwise), Spec.Grace apart, then SIGKILL.
//
// Start is the test helper (it stops the process in t.Cleanup, and keeps
// the log for a failed test); StartProcess is the same for programs, which
// call Stop or Close themselves. Command is for short commands (pactl, a
// player) run to completion with os/exec.
//
// Goroutines: each Process owns one goroutine, which waits for the process
// to exit; it ends when the process does, and Stop makes sure it does.
package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults for the fields of Spec left zero.
const (
	// DefaultGrace is how long Stop waits for the process after each
	// polite signal.
	DefaultGrace = 3 * time.Second
	// DefaultReadyTimeout bounds how long a new process may take to get
	// ready.
	DefaultReadyTimeout = 10 * time.Second
)

// readyPoll is how often Spec.Ready is asked while a process starts.
const readyPoll = 50 * time.Millisecond

// errorTailBytes bounds the output an error message quotes.
const errorTailBytes = 8 << 10

// Spec describes a process to start.
type Spec struct {
	// Name is how messages and the log file name the process; default
	// the base name of Path.
	Name string
	// Path is the program; Args its arguments, without the program.
	Path string
	Args []string
	// Env is the whole environment; nil means this process's.
	Env []string
	// Dir is the working directory; empty means this process's.
	Dir string
	// Stdin feeds the process (nil: /dev/null). Stdout, when set,
	// receives its standard output instead of the log (a recorder's
	// samples). They are files so that no goroutine has to copy.
	Stdin  *os.File
	Stdout *os.File
	// Signals are sent in turn by Stop, each followed by Grace, before
	// SIGKILL; default SIGTERM alone.
	Signals []syscall.Signal
	Grace   time.Duration
	// Ready reports whether the process is ready (nil) or not yet (why
	// not). It is called every 50 ms until it returns nil, the process
	// exits or ReadyTimeout passes. Nil means ready once started.
	Ready        func(ctx context.Context) error
	ReadyTimeout time.Duration
}

func (s Spec) withDefaults() Spec {
	if s.Name == "" {
		s.Name = filepath.Base(s.Path)
	}
	if len(s.Signals) == 0 {
		s.Signals = []syscall.Signal{syscall.SIGTERM}
	}
	if s.Grace == 0 {
		s.Grace = DefaultGrace
	}
	if s.ReadyTimeout == 0 {
		s.ReadyTimeout = DefaultReadyTimeout
	}
	return s
}

// Process is a running (or ended) child process.
type Process struct {
	spec    Spec
	cmd     *exec.Cmd
	logPath string

	exited     chan struct{}
	waitErr    error // set before exited is closed
	unexpected bool  // it ended before Stop began; set before exited is closed

	stopping atomic.Bool // Stop has begun: an exit from now on is expected
	stopOnce sync.Once
	stopErr  error

	closeOnce sync.Once
	closeErr  error
}

// StartError is why a process did not get ready: its start failed, it
// exited, or Ready did not hold in time. It carries the end of the
// process's output.
type StartError struct {
	Name string
	// Exited says the process ended before it was ready.
	Exited bool
	Err    error
	// Tail is the end of the process's output; LogPath its whole log,
	// kept for the reader.
	Tail    string
	LogPath string
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Name, e.Err)
	if e.Tail != "" {
		msg += "; its last output:\n" + e.Tail
	}
	if e.LogPath != "" {
		msg += "\n(its whole log: " + e.LogPath + ")"
	}
	return msg
}

func (e *StartError) Unwrap() error { return e.Err }

// StartProcess starts a process and returns once it is ready. ctx bounds
// the start only; the process runs until Stop. On failure the process is
// gone and its log is kept (StartError.LogPath).
func StartProcess(ctx context.Context, spec Spec) (*Process, error) {
	spec = spec.withDefaults()
	log, err := os.CreateTemp("", unsafeChars.ReplaceAllString(spec.Name, "_")+"-*.log")
	if err != nil {
		return nil, fmt.Errorf("%s: create its log file: %w", spec.Name, err)
	}
	// The child holds its own copies of the descriptors.
	defer log.Close()

	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env, cmd.Dir = spec.Env, spec.Dir
	if spec.Stdin != nil {
		cmd.Stdin = spec.Stdin
	}
	cmd.Stdout, cmd.Stderr = log, log
	if spec.Stdout != nil {
		cmd.Stdout = spec.Stdout
	}
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		os.Remove(log.Name())
		return nil, &StartError{Name: spec.Name, Err: err}
	}
	p := &Process{spec: spec, cmd: cmd, logPath: log.Name(), exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		p.waitErr, p.unexpected = err, !p.stopping.Load()
		close(p.exited)
	}()

	if err := p.waitReady(ctx); err != nil {
		p.Stop()
		return nil, &StartError{Name: spec.Name, Exited: errors.Is(err, ErrExited), Err: err,
			Tail: p.Tail(errorTailBytes), LogPath: p.logPath}
	}
	return p, nil
}

// ErrExited means the process ended before it was ready.
var ErrExited = errors.New("exited before it was ready")

func (p *Process) waitReady(ctx context.Context) error {
	if p.spec.Ready == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.spec.ReadyTimeout)
	defer cancel()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		err := p.spec.Ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%w (%v)", ErrExited, p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not ready within %s: %v", p.spec.ReadyTimeout, err)
		case <-tick.C:
		}
	}
}

// Pid is the process's id, which is also its process group's.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err tells how the process ended: nil while it runs, when it exited with
// status 0, or when Stop ended it; otherwise its exit status.
func (p *Process) Err() error {
	select {
	case <-p.exited:
	default:
		return nil
	}
	if p.waitErr == nil || !p.unexpected {
		return nil
	}
	return fmt.Errorf("%s: %w", p.spec.Name, p.waitErr)
}

// Stop ends the process and returns once it is gone: each of the polite
// signals to its group, Grace apart, then SIGKILL, and SIGKILL again to
// the group for anything it left behind. It is safe to call more than once
// and after the process has exited; the log stays (see Close).
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		p.stopping.Store(true)
	polite:
		for _, sig := range p.spec.Signals {
			select {
			case <-p.exited:
				break polite
			default:
			}
			if err := signalGroup(p.cmd.Process, sig); err != nil {
				p.stopErr = fmt.Errorf("stop %s: %w", p.spec.Name, err)
			}
			select {
			case <-p.exited:
				break polite
			case <-time.After(p.spec.Grace):
			}
		}
		select {
		case <-p.exited:
		default:
			if err := signalGroup(p.cmd.Process, syscall.SIGKILL); err != nil {
				p.stopErr = fmt.Errorf("kill %s: %w", p.spec.Name, err)
			}
			<-p.exited
		}
		// Whatever the process started and left behind. The kernel
		// keeps the group's id from being reused while any member
		// lives; with none left this finds no group.
		signalGroup(p.cmd.Process, syscall.SIGKILL)
	})
	return p.stopErr
}

// Kill ends the process at once with SIGKILL to its group, as a crash or
// a power cut would, and returns once it is gone. Its exit counts as
// expected, as after Stop; Stop and Close may still be called.
func (p *Process) Kill() error {
	p.stopping.Store(true)
	var err error
	select {
	case <-p.exited:
		return nil
	default:
		if serr := signalGroup(p.cmd.Process, syscall.SIGKILL); serr != nil {
			err = fmt.Errorf("kill %s: %w", p.spec.Name, serr)
		}
	}
	<-p.exited
	return err
}

// Close stops the process and removes its log file.
func (p *Process) Close() error {
	err := p.Stop()
	p.closeOnce.Do(func() {
		if rerr := os.Remove(p.logPath); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			p.closeErr = fmt.Errorf("remove the log of %s: %w", p.spec.Name, rerr)
		}
	})
	if err != nil {
		return err
	}
	return p.closeErr
}

// LogPath is the file that holds the process's output.
func (p *Process) LogPath() string { return p.logPath }

// Tail returns at most the last max bytes of the process's output, from
// the start of a line when the cut falls inside one.
func (p *Process) Tail(max int) string { return tailOfFile(p.logPath, max) }

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
