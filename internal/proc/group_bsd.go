//go:build unix && !linux

package proc

import "syscall"

// sysProcAttr puts the child in a process group of its own. Only Linux can
// also tie the child's life to its parent's.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
