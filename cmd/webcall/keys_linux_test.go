package main

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what is written to the master is
// typed on the terminal, whose end a program reads is the slave. Neither
// becomes this process's controlling terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("name the pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the pseudo-terminal's slave: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// Key mode on a real (pseudo-)terminal: a key press is read at once,
// without Enter, and not echoed; Ctrl-C still makes a signal (ISIG); the
// mode is put back exactly as it was, even when restore runs twice.
func TestKeyModeOnATerminal(t *testing.T) {
	master, slave := openPTY(t)
	fd := int(slave.Fd())
	before, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		t.Fatal(err)
	}
	if before.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != unix.ICANON|unix.ECHO|unix.ISIG {
		t.Fatalf("a new terminal is not canonical with echo and signals: lflag %#x", before.Lflag)
	}
	restore, err := keyMode(fd)
	if err != nil {
		t.Fatal(err)
	}
	during, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		t.Fatal(err)
	}
	if during.Lflag&unix.ICANON != 0 || during.Lflag&unix.ECHO != 0 {
		t.Errorf("key mode keeps ICANON or ECHO: lflag %#x", during.Lflag)
	}
	if during.Lflag&unix.ISIG == 0 {
		t.Error("key mode turned off ISIG: Ctrl-C would no longer hang up")
	}
	if during.Oflag != before.Oflag {
		t.Errorf("key mode changed output processing: oflag %#x, was %#x", during.Oflag, before.Oflag)
	}

	// A key typed on the terminal reaches the reader at once, alone.
	keys := make(keyPresses, 8)
	kr, err := startKeyReader(fd, keys.onKeys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := master.WriteString("m"); err != nil {
		t.Fatal(err)
	}
	if got := keys.next(t); got != "m" {
		t.Errorf("read %q, want m", got)
	}
	kr.stop()
	// Nothing was echoed back to the terminal's screen. (Fd is taken
	// once: each call makes the file blocking again.)
	mfd := int(master.Fd())
	if err := unix.SetNonblock(mfd, true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, _ := unix.Read(mfd, buf); n > 0 {
		t.Errorf("the key was echoed: %q", buf[:n])
	}

	restore()
	restore()
	after, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Errorf("the mode after restore differs from the mode before:\n%+v\n%+v", after, before)
	}
}

// A terminal that is not this process's own (here: not its controlling
// terminal; likewise a background job's) is left alone.
func TestListenKeysNotInForeground(t *testing.T) {
	_, slave := openPTY(t)
	keys, err := listenKeys(int(slave.Fd()), func([]byte) { t.Error("a key read from a terminal that is not ours") })
	if err != nil || keys != nil {
		t.Errorf("listenKeys = %v, %v; want nothing", keys, err)
	}
}
