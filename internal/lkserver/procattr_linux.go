package lkserver

import "syscall"

// sysProcAttr asks the kernel to kill the server if the process that started
// it dies without calling Stop (a test binary killed by its timeout), so no
// server outlives its test run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
