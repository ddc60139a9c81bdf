// Package flagfile reads a configuration file that holds what a command's
// flags hold, so that a long-running process (a kiosk) is set up by
// dropping one file instead of writing a long command line.
//
// The format is one YAML mapping whose keys are the flag names without
// their dashes, and whose values are what the flag would be given:
//
//	# kiosk.yaml
//	token-endpoint: https://example.com/api/token
//	agent-name: front-desk
//	always-on: true
//	pause: 30s
//	header:                 # a flag that may be repeated takes a list
//	  - "X-Kiosk: lobby-1"
//
// Scalars are taken as written (0123 stays "0123", 1e3 stays "1e3"), so a
// value means in the file exactly what it means on the command line; a
// list sets a repeatable flag once per item, in order. The command line
// wins: a flag given there is left as it is, whatever the file says.
//
// Secrets are refused (Options.Secret): a configuration file is copied,
// shared and checked in, so a key, a secret or a bearer token comes from a
// file of its own or the environment. Errors name the file, line and
// column and never echo the value of a refused secret.
//
// The package works on a *pflag.FlagSet and knows nothing of the command
// that owns it; it starts no goroutine.
package flagfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// MaxFileBytes bounds a configuration file: a configuration is a page of
// YAML, and a larger file (a recording or a log given by mistake, or
// /dev/zero) is refused before it is read whole and parsed.
const MaxFileBytes = 1 << 20

// Options says which flags a configuration file may not set. Either func
// may be nil.
type Options struct {
	// Secret reports whether the flag name holds a secret (an API secret,
	// a token, a key) and, if so, what to use instead: instead completes
	// "use ...", e.g. "api-secret-file (a file only the kiosk can read) or
	// the environment". A file that names a secret is refused; the
	// message never includes the value.
	Secret func(name string) (instead string, isSecret bool)
	// Refuse reports whether the flag name makes no sense in a file (the
	// flag that names the file itself, help, version) and why.
	Refuse func(name string) (reason string, refused bool)
}

// Apply reads the configuration file at path and sets each flag of fs it
// names, except those already set on the command line (fs.Changed before
// Apply runs): call it after the command line is parsed.
//
// An empty file, or one holding only comments, sets nothing: a template
// whose every key is commented out is a valid configuration.
//
// The whole file is checked before any flag is set, so a file with an
// unknown key, a secret, a list where one value belongs, or broken YAML
// sets nothing. A value the flag itself refuses (a boolean that is not
// true or false, a duration without a unit) is found only when it is set:
// then the keys before it have been set, and Apply reports every such
// value; a caller stops on any error.
//
// Errors are a *failure.Error of kind failure.Usage that matches
// ErrInvalid and holds an Errors, one line per problem, each starting
// with path:line:column.
func Apply(path string, fs *pflag.FlagSet, opts Options) error {
	src, err := readFile(path)
	if err != nil {
		return invalid(Errors{err})
	}
	return applyBytes(path, src, fs, opts)
}

// applyBytes is Apply on src, read from path; the fuzz target calls it so
// as not to write a file per input.
func applyBytes(path string, src []byte, fs *pflag.FlagSet, opts Options) error {
	// Editors on Windows start a UTF-8 file with a byte order mark, which
	// YAML would take as part of the first key.
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	d := &decoder{file: path, fs: fs, opts: opts}
	settings := d.decode(src)
	if len(d.errs) > 0 {
		return invalid(d.errs.sorted())
	}
	if errs := set(fs, path, settings); len(errs) > 0 {
		return invalid(errs.sorted())
	}
	return nil
}

func invalid(errs Errors) error {
	return (&failure.Error{Kind: failure.Usage, Err: errs}).WithCond(ErrInvalid)
}

// set gives each setting to its flag, skipping the flags the command line
// already set. Which those are is taken before the first Set, since Set
// marks a flag changed and a list sets its flag once per item.
func set(fs *pflag.FlagSet, path string, settings []setting) Errors {
	fromCommandLine := map[string]bool{}
	fs.Visit(func(fl *pflag.Flag) { fromCommandLine[fl.Name] = true })
	var errs Errors
	for _, s := range settings {
		if fromCommandLine[s.flag.Name] {
			continue
		}
		for _, v := range s.values {
			if err := fs.Set(s.flag.Name, v.text); err != nil {
				cause := err
				var ive *pflag.InvalidValueError
				if errors.As(err, &ive) && errors.Unwrap(ive) != nil {
					cause = errors.Unwrap(ive)
				}
				errs = append(errs, &Error{File: path, Line: v.line, Column: v.col, Key: s.flag.Name,
					Msg: s.flag.Name + ": " + valueProblem(s.flag.Value.Type(), v.text, cause)})
				break
			}
		}
	}
	return errs
}

// readFile reads at most MaxFileBytes of path, refusing what is not a
// file that can be read.
func readFile(path string) ([]byte, *Error) {
	fail := func(msg string) *Error { return &Error{File: path, Msg: msg} }
	f, err := os.Open(path)
	if err != nil {
		return nil, fail("cannot read the configuration file: " + describeOSError(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fail("is a directory: give the path of the configuration file itself")
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fail("cannot read the configuration file: " + describeOSError(err))
	}
	if len(src) > MaxFileBytes {
		return nil, fail(fmt.Sprintf("the file is larger than %d MiB, far more than a configuration holds: is it the right file?", MaxFileBytes>>20))
	}
	return src, nil
}

func describeOSError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file: check the path"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied: the file must be readable by the user the program runs as"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
