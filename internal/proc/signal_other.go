//go:build !unix

package proc

import (
	"errors"
	"os"
	"syscall"
)

// Without process groups only the process itself can be stopped, and only
// by killing it.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(p *os.Process, _ syscall.Signal) error {
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}
