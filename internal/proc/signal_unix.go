//go:build unix

package proc

import (
	"errors"
	"os"
	"syscall"
)

// signalGroup sends sig to the process group p leads. A group that no
// longer exists is no error: what the caller wanted gone is gone.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	err := syscall.Kill(-p.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
