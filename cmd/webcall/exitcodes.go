package main

import (
	"github.com/webcall-cli/webcall/pkg/failure"
)

// Exit codes: the one table that turns a failure into a process status.
// The README documents it; scripts branch on it, so codes never change
// meaning.
const (
	exitOK          = 0
	exitInternal    = 1
	exitUsage       = 2 // bad flags or input: nothing was attempted
	exitConnect     = 3 // server unreachable, or the connection was lost
	exitAuth        = 4 // token or key refused
	exitNoAgent     = 5 // joined, but no agent came
	exitRejected    = 6 // the provider refused to create the call
	exitBusy        = 7 // the provider is at a limit; retry later
	exitDevice      = 8 // audio device missing, busy or lost
	exitCheck       = 9 // the call ran but an expectation failed (no reply)
	exitInterrupted = 130
	exitTerminated  = 143
)

var exitCodes = map[failure.Kind]int{
	failure.Internal:    exitInternal,
	failure.Usage:       exitUsage,
	failure.Input:       exitUsage,
	failure.Connect:     exitConnect,
	failure.Auth:        exitAuth,
	failure.NoAgent:     exitNoAgent,
	failure.Rejected:    exitRejected,
	failure.Busy:        exitBusy,
	failure.Device:      exitDevice,
	failure.Check:       exitCheck,
	failure.Interrupted: exitInterrupted,
	failure.Terminated:  exitTerminated,
}

// exitCode maps an error to the process status.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	if code, ok := exitCodes[failure.KindOf(err)]; ok {
		return code
	}
	return exitInternal
}
