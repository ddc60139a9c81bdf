// Package failure is the small vocabulary of things that can go wrong in a
// call, shared by every layer so that the command can turn any error into a
// documented exit code in one place (see cmd/webcall/exitcodes.go).
//
// Lower packages wrap their errors in an *Error with a Kind; everything else
// (a plain error) is an internal failure.
package failure

import (
	"errors"
	"fmt"
)

// Kind classifies a failure by what the user can do about it.
type Kind int

const (
	// Internal is a bug or an unexpected condition.
	Internal Kind = iota
	// Usage: flags or arguments are wrong. Nothing was attempted.
	Usage
	// Input: an input file or value is unusable. Nothing was attempted.
	Input
	// Connect: the server could not be reached or the connection broke.
	Connect
	// Auth: the server or the provider refused the credentials.
	Auth
	// NoAgent: the room was joined but no agent came.
	NoAgent
	// Rejected: the provider refused to create the call (bad request,
	// no credits, unknown assistant).
	Rejected
	// Busy: the provider is at a limit (too many concurrent calls, rate
	// limit); retrying later may work.
	Busy
	// Device: an audio device is missing, busy or vanished.
	Device
	// Interrupted: the user hung up with Ctrl-C.
	Interrupted
	// Terminated: the process was asked to stop (SIGTERM).
	Terminated
	// Check: the call worked but a scripted expectation failed.
	Check
)

var kindNames = map[Kind]string{
	Internal:    "internal",
	Usage:       "usage",
	Input:       "input",
	Connect:     "connect",
	Auth:        "auth",
	NoAgent:     "no_agent",
	Rejected:    "rejected",
	Busy:        "busy",
	Device:      "device",
	Interrupted: "interrupted",
	Terminated:  "terminated",
	Check:       "check",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is an error a person can act on: what went wrong (Msg), what to try
// (Hint), and the underlying cause for errors.Is/As.
//
// Msg and Hint are in the terms of the package that failed: a library
// knows a "server URL", not the flag a command reads it from. Cond names
// the condition with one of that package's exported ErrX values, so that
// a command can match it with errors.Is and say what to type instead
// (cmd/webcall/hints.go does), the way gh's internal/ghcmd adds CLI
// advice on top of errors from its inner packages.
type Error struct {
	Kind Kind
	Msg  string
	Hint string
	Err  error
	Cond error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the condition e names (Cond), so that
// errors.Is(err, token.ErrNoURL) holds without the condition's own text
// appearing in the message.
func (e *Error) Is(target error) bool { return e.Cond != nil && e.Cond == target }

// New returns an *Error of the given kind.
func New(kind Kind, msg string) *Error { return &Error{Kind: kind, Msg: msg} }

// Newf is New with formatting.
func Newf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error of the given kind around err.
func Wrap(kind Kind, err error, msg string) *Error {
	return &Error{Kind: kind, Msg: msg, Err: err}
}

// WithHint sets what the user should try and returns e for chaining.
func (e *Error) WithHint(hint string) *Error {
	e.Hint = hint
	return e
}

// WithCond names the condition (an exported ErrX value of the package
// that failed) and returns e for chaining.
func (e *Error) WithCond(cond error) *Error {
	e.Cond = cond
	return e
}

// KindOf returns the kind of the outermost *Error in err's chain, or
// Internal when there is none.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return Internal
}

// HintOf returns the first non-empty hint in err's chain.
func HintOf(err error) string {
	for err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			return ""
		}
		if fe.Hint != "" {
			return fe.Hint
		}
		err = fe.Err
	}
	return ""
}
