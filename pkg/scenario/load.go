package scenario

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/webcall-cli/webcall/pkg/failure"
)

const formatHint = "the scenario format is described in https://github.com/webcall-cli/webcall/blob/main/pkg/scenario/FORMAT.md"

// Load reads the scenarios in paths, in the order given: each path is a
// scenario file (.yaml or .yml) or a directory, whose .yaml and .yml files
// are taken in name order; subdirectories are not entered, so audio and
// other files can sit beside the scenarios. env supplies ${VAR}
// (os.Getenv, in a command; nil is an empty environment).
//
// Every file is read even after one fails, so the error lists every
// problem in every file: a *failure.Error of Kind failure.Usage whose
// chain holds an Errors (and matches ErrInvalid or ErrNoScenarios).
func Load(paths []string, env func(string) string) ([]*Scenario, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	if len(paths) == 0 {
		return nil, failure.New(failure.Usage, "no scenario files were given").WithCond(ErrNoScenarios).
			WithHint("give one or more scenario files (.yaml) or directories of them")
	}
	var (
		out  []*Scenario
		errs Errors
	)
	for _, p := range paths {
		files, err := scenarioFiles(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			s, ferrs := loadFile(f, env)
			errs = append(errs, ferrs...)
			if s != nil {
				out = append(out, s)
			}
		}
	}
	if len(errs) > 0 {
		return nil, loadFailure(errs)
	}
	return out, nil
}

func loadFailure(errs Errors) error {
	cond := ErrInvalid
	allEmpty := true
	for _, e := range errs {
		if !errors.Is(e, errNoFiles) {
			allEmpty = false
		}
	}
	if allEmpty {
		cond = ErrNoScenarios
	}
	return (&failure.Error{Kind: failure.Usage, Err: errs}).WithCond(cond).WithHint(formatHint)
}

// errNoFiles marks the Error of a directory with no scenario in it.
var errNoFiles = errors.New("no scenario files in the directory")

func isScenarioFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

func scenarioFiles(path string) ([]string, *Error) {
	fi, err := os.Stat(path)
	if err != nil {
		msg := "cannot read it: " + describeOSError(err)
		return nil, &Error{File: path, Msg: msg}
	}
	if !fi.IsDir() {
		if !isScenarioFile(path) {
			return nil, &Error{File: path, Msg: "not a scenario file: expected a .yaml or .yml file, or a directory of them"}
		}
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read the directory: " + describeOSError(err)}
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && isScenarioFile(e.Name()) {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, &Error{File: path, Msg: "the directory holds no .yaml or .yml file (subdirectories are not searched)", err: errNoFiles}
	}
	return files, nil
}

func describeOSError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// MaxFileBytes bounds a scenario file: a scenario is a page of YAML, and
// a larger file (a recording or a log given by mistake) is refused before
// it is read whole and parsed.
const MaxFileBytes = 1 << 20

// loadFile returns the scenario, or nil and what is wrong with it.
func loadFile(path string, env func(string) string) (*Scenario, Errors) {
	src, err := readLimited(path, MaxFileBytes)
	if err != nil {
		return nil, Errors{{File: path, Msg: "cannot read it: " + describeOSError(err)}}
	}
	if len(src) > MaxFileBytes {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("the file is larger than %d MiB, far more than a scenario: is it the right file?", MaxFileBytes>>20)}}
	}
	return parseFile(path, src, env)
}

// readLimited reads at most limit+1 bytes of path, enough to tell a file
// over the limit.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// parseFile decodes the scenario in src, read from path.
func parseFile(path string, src []byte, env func(string) string) (*Scenario, Errors) {
	d := &decoder{file: path, dir: filepath.Dir(path), env: env}
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, Errors{d.syntaxError(err)}
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		return nil, Errors{{File: path, Msg: "the file is empty: a scenario needs at least turns"}}
	}
	if len(docs) > 1 {
		line, col := position(docs[1].Body)
		if start := docs[1].Start; start != nil {
			line, col = start.Position.Line, start.Position.Column
		}
		return nil, Errors{{File: path, Line: line, Column: col, Msg: "a second YAML document: a file holds one scenario; put the next in a file of its own"}}
	}
	d.collectAnchors(docs[0].Body)
	s := d.scenario(docs[0].Body)
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			a, b := d.errs[i], d.errs[j]
			return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
		})
		if len(d.errs) > maxErrors {
			rest := len(d.errs) - maxErrors
			d.errs = append(d.errs[:maxErrors], &Error{File: path, Msg: fmt.Sprintf("and %d more problems", rest)})
		}
		return nil, d.errs
	}
	return s, nil
}

// syntaxError places the parser's complaint like our own.
func (d *decoder) syntaxError(err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		p := ye.GetToken().Position
		return &Error{File: d.file, Line: p.Line, Column: p.Column, Msg: "invalid YAML: " + ye.GetMessage()}
	}
	return &Error{File: d.file, Msg: "invalid YAML: " + err.Error()}
}
