package main

import "golang.org/x/sys/unix"

// The ioctls that read and set a terminal's mode (tcgetattr, tcsetattr
// with TCSANOW).
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)
