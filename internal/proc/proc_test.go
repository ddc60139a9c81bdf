package proc

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

func sh(script string) Spec {
	return Spec{Name: "sh", Path: "/bin/sh", Args: []string{"-c", script}}
}

// alive reports whether a process with this id exists (and is no zombie
// of ours: Stop has reaped the ones it started).
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestStopEndsTheProcessAndWhatItStarted(t *testing.T) {
	defer leaktest.Check(t)()
	// The shell starts a grandchild and prints its pid.
	p, err := StartProcess(context.Background(), sh("sleep 300 & echo $!; wait"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var child int
	deadline := time.Now().Add(5 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		child, _ = strconv.Atoi(strings.TrimSpace(p.Tail(100)))
		time.Sleep(10 * time.Millisecond)
	}
	if child == 0 || !alive(child) {
		t.Fatalf("the grandchild did not start (output %q)", p.Tail(100))
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited():
	default:
		t.Fatal("Stop returned before the process ended")
	}
	if err := p.Err(); err != nil {
		t.Errorf("Err after Stop = %v, want nil: the exit was asked for", err)
	}
	// The grandchild is not ours to reap: give init a moment.
	for deadline := time.Now().Add(2 * time.Second); alive(child) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(child) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Errorf("the process's own child %d outlived Stop", child)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// A process that ignores SIGTERM is killed after the grace period.
func TestStopKillsAfterGrace(t *testing.T) {
	defer leaktest.Check(t)()
	spec := sh(`trap "" TERM; echo ready; while :; do sleep 0.05; done`)
	spec.Grace = 200 * time.Millisecond
	p, err := StartProcess(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(p.Tail(100), "ready"); {
		if time.Now().After(deadline) {
			t.Fatal("the shell did not set its trap")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < spec.Grace || took > spec.Grace+2*time.Second {
		t.Errorf("Stop took %s, want about the %s grace", took, spec.Grace)
	}
}

func TestReadyWaitsAndTimesOut(t *testing.T) {
	defer leaktest.Check(t)()
	marker := t.TempDir() + "/ready"
	spec := sh("sleep 0.2; touch " + marker + "; sleep 300")
	spec.Ready = func(context.Context) error {
		_, err := os.Stat(marker)
		return err
	}
	p, err := StartProcess(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("StartProcess returned before Ready held: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	spec = sh("echo never ready; sleep 300")
	spec.ReadyTimeout = 300 * time.Millisecond
	spec.Ready = func(context.Context) error { return errors.New("no socket yet") }
	_, err = StartProcess(context.Background(), spec)
	var se *StartError
	if !errors.As(err, &se) || se.Exited || !strings.Contains(err.Error(), "no socket yet") {
		t.Fatalf("err = %v, want a StartError with Ready's last complaint", err)
	}
	defer os.Remove(se.LogPath)
	if !strings.Contains(se.Tail, "never ready") {
		t.Errorf("error's tail %q lacks the output", se.Tail)
	}
}

func TestExitBeforeReady(t *testing.T) {
	defer leaktest.Check(t)()
	spec := sh("echo address already in use >&2; exit 3")
	spec.Ready = func(context.Context) error { return errors.New("not yet") }
	_, err := StartProcess(context.Background(), spec)
	var se *StartError
	if !errors.As(err, &se) || !se.Exited || !errors.Is(err, ErrExited) {
		t.Fatalf("err = %v, want a StartError for an exit", err)
	}
	defer os.Remove(se.LogPath)
	if !strings.Contains(se.Tail, "address already in use") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("error %q lacks the output or the status", err)
	}
	if _, err := os.Stat(se.LogPath); err != nil {
		t.Errorf("the log of a failed start is gone: %v", err)
	}
}

// Err tells an exit the owner asked for from one it did not.
func TestErrReportsAnUnexpectedExit(t *testing.T) {
	defer leaktest.Check(t)()
	p, err := StartProcess(context.Background(), sh("exit 4"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	<-p.Exited()
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "exit status 4") {
		t.Errorf("Err = %v, want exit status 4", err)
	}
	p.Stop()
	if err := p.Err(); err == nil {
		t.Errorf("Stop after the exit hid it")
	}
}

func TestStartTestHelperRemovesTheLogOfAPassingTest(t *testing.T) {
	var p *Process
	t.Run("inner", func(t *testing.T) {
		p = Start(t, sh("echo hello; sleep 300"))
	})
	select {
	case <-p.Exited():
	default:
		t.Fatal("the process outlived its test")
	}
	if _, err := os.Stat(p.LogPath()); !os.IsNotExist(err) {
		t.Errorf("log %s still there after a passing test (err %v)", p.LogPath(), err)
	}
}

func TestTailStartsAtALine(t *testing.T) {
	path := t.TempDir() + "/log"
	if err := os.WriteFile(path, []byte("first line\nsecond line\nthird\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		max  int
		want string
	}{
		{100, "first line\nsecond line\nthird\n"},
		{15, "third\n"},
		{3, "rd\n"}, // no line starts within reach: the bytes themselves
	} {
		if got := tailOfFile(path, tt.max); got != tt.want {
			t.Errorf("tailOfFile(%d) = %q, want %q", tt.max, got, tt.want)
		}
	}
}

func TestCommandIsKilledWithItsGroup(t *testing.T) {
	defer leaktest.Check(t)()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	// The grandchild holds stdout open: Wait returns only when the
	// group's kill reached it too (or after WaitDelay).
	out, err := Command(ctx, "/bin/sh", "-c", "sleep 300 & sleep 300").Output()
	if err == nil {
		t.Fatalf("Output = %q, nil; want the command killed", out)
	}
	if took := time.Since(start); took > commandWaitDelay {
		t.Errorf("took %s: the kill did not reach the grandchild", took)
	}
}
