package proc

import "syscall"

// sysProcAttr puts the child in a process group of its own and asks the
// kernel to kill it when the process that started it dies without
// stopping it, so that no child outlives a test binary killed by its
// timeout.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
