// Command mdwe runs a program under the kernel's memory-deny-write-execute
// rule (prctl PR_SET_MDWE, Linux 6.3+), which systemd 253 and later use for
// MemoryDenyWriteExecute=yes: no mapping may be writable and executable,
// and none may become executable later. The rule is inherited across
// exec, so the program runs under it from its first instruction.
//
//	mdwe PROGRAM [ARG...]   run PROGRAM under the rule
//	mdwe -probe             exit 0 if a W+X mapping is refused here, 1 if not
//
// Exit 3: this kernel has no PR_SET_MDWE.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

const (
	prSetMDWE            = 65
	mdweRefuseExecGain   = 1
	exitNoMDWE           = 3
	exitWriteExecAllowed = 1
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mdwe PROGRAM [ARG...] | mdwe -probe")
		os.Exit(2)
	}
	if os.Args[1] == "-probe" {
		_, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err == nil {
			fmt.Println("a writable and executable mapping was allowed")
			os.Exit(exitWriteExecAllowed)
		}
		fmt.Println("refused:", err)
		return
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetMDWE, mdweRefuseExecGain, 0, 0, 0, 0); e != 0 {
		fmt.Fprintln(os.Stderr, "PR_SET_MDWE:", e)
		os.Exit(exitNoMDWE)
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	err = syscall.Exec(path, os.Args[1:], os.Environ())
	fmt.Fprintln(os.Stderr, "exec:", err)
	os.Exit(2)
}
