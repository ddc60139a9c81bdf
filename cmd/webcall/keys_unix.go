//go:build linux || darwin

package main

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// listenKeys puts the terminal fd in key mode and calls onKeys with what
// each key press sends, from a goroutine of its own, until the returned
// keyInput's stop. It returns nil when this process runs in the background
// of the terminal: changing the terminal's mode or reading from it there
// would stop the process (SIGTTOU, SIGTTIN).
func listenKeys(fd int, onKeys func([]byte)) (*keyInput, error) {
	if !foreground(fd) {
		return nil, nil
	}
	restore, err := keyMode(fd)
	if err != nil {
		return nil, err
	}
	r, err := startKeyReader(fd, onKeys)
	if err != nil {
		restore()
		return nil, err
	}
	return &keyInput{stop: r.stop, restore: restore}, nil
}

// foreground reports whether this process's group is the terminal's
// foreground group.
func foreground(fd int) bool {
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// keyMode makes the terminal fd deliver each key press at once (not
// after Enter: no ICANON) without showing it (no ECHO). Signal keys are
// left alone: with ISIG, which term.MakeRaw would clear, Ctrl-C still
// sends SIGINT and hangs up. Output processing is untouched, so "\n"
// still starts a new line. It returns the function that puts the mode
// back as it was; that function may be called more than once, from any
// goroutine.
func keyMode(fd int) (restore func(), err error) {
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, fmt.Errorf("read the terminal's mode: %w", err)
	}
	mode := *old
	mode.Lflag &^= unix.ICANON | unix.ECHO
	mode.Cc[unix.VMIN] = 1
	mode.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &mode); err != nil {
		return nil, fmt.Errorf("set the terminal's mode: %w", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, old) })
	}, nil
}

// pollInput calls onBytes with each read from fd (a pipe or a file: stdin
// without a terminal) until the returned stop, or until fd ends; done is
// closed once the reading goroutine has ended, either way.
func pollInput(fd int, onBytes func([]byte)) (stop func(), done <-chan struct{}, err error) {
	r, err := startKeyReader(fd, onBytes)
	if err != nil {
		return nil, nil, err
	}
	return r.stop, r.done, nil
}

// keyReader is the goroutine that reads key presses. A read blocked on a
// terminal cannot be interrupted, so it never blocks in read: it waits in
// poll for the terminal and a pipe of its own together, and stop closes
// the pipe's write end to wake it.
type keyReader struct {
	wake [2]int // read end, write end
	done chan struct{}
	once sync.Once
}

// startKeyReader calls onKeys with each read from fd (a terminal, or a
// pipe in tests) until stop, or until fd ends or fails.
func startKeyReader(fd int, onKeys func([]byte)) (*keyReader, error) {
	r := &keyReader{done: make(chan struct{})}
	if err := unix.Pipe(r.wake[:]); err != nil {
		return nil, fmt.Errorf("make the key reader's pipe: %w", err)
	}
	unix.CloseOnExec(r.wake[0])
	unix.CloseOnExec(r.wake[1])
	go r.run(fd, onKeys)
	return r, nil
}

func (r *keyReader) run(fd int, onKeys func([]byte)) {
	defer close(r.done)
	fds := []unix.PollFd{
		{Fd: int32(fd), Events: unix.POLLIN},
		{Fd: int32(r.wake[0]), Events: unix.POLLIN},
	}
	buf := make([]byte, 64)
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) { // a signal (Ctrl-C) came
				continue
			}
			return
		}
		if fds[1].Revents != 0 {
			return // stop
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			n, err := unix.Read(fd, buf)
			switch {
			case n > 0:
				onKeys(buf[:n])
			case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			default:
				return // end of input, or an error
			}
			continue
		}
		if fds[0].Revents != 0 {
			return // POLLHUP, POLLERR, POLLNVAL: the terminal is gone
		}
	}
}

// stop ends the goroutine and waits for it. It may be called more than
// once.
func (r *keyReader) stop() {
	r.once.Do(func() {
		_ = unix.Close(r.wake[1])
		<-r.done
		_ = unix.Close(r.wake[0])
	})
}
