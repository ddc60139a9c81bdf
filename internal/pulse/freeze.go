package pulse

import "syscall"

// Freeze stops the daemon (SIGSTOP) without ending it: a sound server
// that hangs, which answers nothing and closes nothing, unlike one that
// died. Thaw lets it go on. Tests that freeze a server thaw it before
// they end, or Stop would wait out its grace period on a stopped process.
// The signal goes to the daemon's process group: in PipeWire mode the
// process proc started is the script that supervises the daemons.
func (s *Server) Freeze() error { return syscall.Kill(-s.daemon.Pid(), syscall.SIGSTOP) }

// Thaw lets a frozen daemon go on (SIGCONT).
func (s *Server) Thaw() error { return syscall.Kill(-s.daemon.Pid(), syscall.SIGCONT) }
