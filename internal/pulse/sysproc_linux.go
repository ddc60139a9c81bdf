package pulse

import "syscall"

// sysProcAttr asks the kernel to kill the daemon and the test's players and
// recorders if the test process dies without cleaning up (a test binary
// killed by its timeout), so that none of them outlives its test run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
