package scenario

import (
	"errors"
	"fmt"
	"strings"
)

// Conditions a command can match with errors.Is to add its own advice.
var (
	// ErrInvalid: a scenario file could not be read or breaks the format.
	// The error's chain holds an Errors listing every problem found.
	ErrInvalid = errors.New("invalid scenario file")
	// ErrNoScenarios: the paths given held no scenario file.
	ErrNoScenarios = errors.New("no scenario files")
	// ErrBadShard: a shard was not written K/N with K in 1..N.
	ErrBadShard = errors.New("invalid shard")
)

// Error is one problem in a scenario file, located so that an editor can
// jump to it: the file as it was given, the 1-based line and column of the
// offending key or value (zero when the problem is the file as a whole),
// and the field's path in the document, e.g. turns[1].expect.max_latency.
type Error struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string

	// err marks a condition for this package's own use (errNoFiles).
	err error
}

func (e *Error) Unwrap() error { return e.err }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem Load found, in file order and then position
// order, so that one run shows the user all there is to fix.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the first *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
