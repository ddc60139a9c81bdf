package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"mvdan.cc/sh/v3/syntax"
)

// newTestRoot is the command tree Main builds, writing nowhere.
func newTestRoot() *cobra.Command {
	return newRootCmd(&streams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard, Getenv: envOf(nil), Width: func() int { return 80 }})
}

// exampleCommand is one command line of an Example as the shell splits
// it: quotes removed, env assignments and redirections apart, only the
// first command of a pipeline or list.
type exampleCommand struct {
	line string
	args []string
}

// exampleCommands parses an Example field as the shell script it claims
// to be.
func exampleCommands(example string) ([]exampleCommand, error) {
	f, err := syntax.NewParser().Parse(strings.NewReader(example), "")
	if err != nil {
		return nil, fmt.Errorf("not valid shell: %v", err)
	}
	var cmds []exampleCommand
	for _, stmt := range f.Stmts {
		call := firstCall(stmt.Cmd)
		if call == nil || len(call.Args) == 0 {
			return nil, fmt.Errorf("%q runs no simple command", printed(stmt))
		}
		var args []string
		for _, w := range call.Args {
			args = append(args, unquoted(w.Parts))
		}
		cmds = append(cmds, exampleCommand{line: printed(stmt), args: args})
	}
	return cmds, nil
}

// unquoted is a word as the command receives it, quotes removed, with
// what the reader's shell would expand ($VARS, globs, $(...)) left as
// written: the examples show placeholders, not values.
func unquoted(parts []syntax.WordPart) string {
	var sb strings.Builder
	for _, p := range parts {
		switch p := p.(type) {
		case *syntax.Lit:
			sb.WriteString(p.Value)
		case *syntax.SglQuoted:
			sb.WriteString(p.Value)
		case *syntax.DblQuoted:
			sb.WriteString(unquoted(p.Parts))
		default:
			sb.WriteString(printed(p))
		}
	}
	return sb.String()
}

// firstCall is the simple command a statement starts with: the left of
// a pipeline or && list.
func firstCall(c syntax.Command) *syntax.CallExpr {
	switch c := c.(type) {
	case *syntax.CallExpr:
		return c
	case *syntax.BinaryCmd:
		return firstCall(c.X.Cmd)
	}
	return nil
}

func printed(n syntax.Node) string {
	var sb strings.Builder
	_ = syntax.NewPrinter().Print(&sb, n)
	return sb.String()
}

// repoRoot is where the examples' testdata/ paths are, as a user in a
// checkout of the repository would run them.
const repoRoot = "../.."

// companionTools may begin an example's line besides webcall: the tools
// that talk to a running kiosk.
var companionTools = map[string]bool{"curl": true, "pkill": true}

// checkExample takes an example's command line through a fresh command
// tree as far as cobra goes before a command runs: find the command,
// parse its flags, validate its arguments. The repository's own files it
// names must exist.
func checkExample(ex exampleCommand) error {
	if ex.args[0] == "source" {
		// `source <(webcall completion bash)`: the process
		// substitution is checked as the command line it is.
		return nil
	}
	if companionTools[ex.args[0]] {
		// How the kiosk is driven from outside (its API, its button):
		// part of the lesson, but not webcall's to parse.
		return nil
	}
	if ex.args[0] != "webcall" {
		return errors.New("does not start with webcall")
	}
	for _, a := range ex.args[1:] {
		_, value, _ := strings.Cut(a, "=")
		for _, p := range []string{a, value} {
			if strings.HasPrefix(p, "testdata/") {
				if _, err := os.Stat(filepath.Join(repoRoot, p)); err != nil {
					return fmt.Errorf("names %s, which is not in the repository", p)
				}
			}
		}
	}
	cmd, rest, err := newTestRoot().Find(ex.args[1:])
	if err != nil {
		return err
	}
	if !cmd.Runnable() {
		return fmt.Errorf("%q is not a command that runs", cmd.CommandPath())
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return fmt.Errorf("%s: %v", cmd.CommandPath(), err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return fmt.Errorf("%s refuses its arguments: %v", cmd.CommandPath(), err)
	}
	return nil
}

// checkExamples checks every command line of one Example field.
func checkExamples(example string) (lines int, err error) {
	cmds, err := exampleCommands(example)
	if err != nil {
		return 0, err
	}
	for _, ex := range cmds {
		if err := checkExample(ex); err != nil {
			return 0, fmt.Errorf("%s: %w", ex.line, err)
		}
	}
	return len(cmds), nil
}

// TestEveryCommandHasExamples walks the whole command tree: every
// runnable command (and the root) has an Example, and every command line
// in them starts with webcall, names a command that exists, and parses:
// its flags exist and take the values given, its arguments are ones the
// command accepts. Renaming a flag or a command without its examples
// fails here.
func TestEveryCommandHasExamples(t *testing.T) {
	root := newTestRoot()
	lines, commands := 0, 0
	var visit func(*cobra.Command)
	visit = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		commands++
		path := c.CommandPath()
		if strings.TrimSpace(c.Example) == "" && (c.Runnable() || c == root) {
			t.Errorf("%s has no Example: its --help should show how to use it", path)
		}
		n, err := checkExamples(c.Example)
		if err != nil {
			t.Errorf("%s: Example %v", path, err)
		}
		lines += n
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
	// root, call, token, devices, test, report, report merge, version,
	// completion: a walk that finds fewer has lost commands.
	if commands < 9 || lines < 2*commands {
		t.Errorf("walked %d commands and %d example lines; want at least 9 commands and two examples each", commands, lines)
	}
}

// TestExampleCheckCatchesRot: the check refuses the mistakes it is there
// to catch, and accepts the shapes the real examples use.
func TestExampleCheckCatchesRot(t *testing.T) {
	for _, tc := range []struct {
		example string
		ok      bool
	}{
		{"webcall cal --input hello.wav", false},                        // no such command
		{"webcall call --inptu hello.wav", false},                       // no such flag
		{"webcall call --wait-agent soon", false},                       // a value the flag refuses
		{"webcall report", false},                                       // a group, not a command
		{"webcall test", false},                                         // missing arguments
		{"webcall call extra", false},                                   // refused argument
		{"webcall call --input testdata/audio/nosuch.wav", false},       // a repository file that is not there
		{"lk room list", false},                                         // not webcall
		{"webcall call --input 'unterminated", false},                   // not shell
		{"LIVEKIT_URL=ws://x webcall token --ttll 1h", false},           // env, then a bad flag
		{"webcall devices\nwebcall call --nope", false},                 // the second line is checked too
		{"LIVEKIT_URL=ws://x webcall token --ttl 1h", true},             // env before the command
		{"webcall devices --json | jq '.[0]' > devs.json", true},        // a pipeline and a redirection
		{"webcall call \\\n    --input testdata/audio/hello.wav", true}, // a continued line
		{"webcall report merge shard-*.json --junit junit.xml", true},
		{"source <(webcall completion bash)", true},
	} {
		_, err := checkExamples(tc.example)
		if tc.ok && err != nil {
			t.Errorf("%q refused: %v", tc.example, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("%q accepted, want it refused", tc.example)
		}
	}
}
