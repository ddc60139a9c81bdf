package proc

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// commandWaitDelay bounds how long a cancelled Command's Wait waits for
// its output once the process is killed.
const commandWaitDelay = time.Second

// Command is exec.CommandContext for short commands run to completion: the
// command runs in a process group of its own, which ctx's end kills whole,
// and (on Linux) dies with the test binary.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return signalGroup(cmd.Process, syscall.SIGKILL) }
	cmd.WaitDelay = commandWaitDelay
	return cmd
}
