package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/kiosk/control"
	tokenpkg "github.com/webcall-cli/webcall/pkg/token"
)

var (
	longFlag  = regexp.MustCompile(`--([a-z][a-z0-9-]*)`)
	shortFlag = regexp.MustCompile(`(?:^|[\s(/'"])-([A-Za-z])\b`)
	envName   = regexp.MustCompile(`\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b`)
)

// commandEnv is every environment variable webcall reads for a call.
var commandEnv = []string{envURL, envToken, envAPIKey, envAPISecret, envHMSKey}

// subcommand is the real `webcall NAME` command, built as Main builds it.
func subcommand(t *testing.T, name string) *cobra.Command {
	t.Helper()
	root := newRootCmd(&streams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard, Getenv: envOf(nil)})
	for _, c := range root.Commands() {
		if c.Name() == name {
			return c
		}
	}
	t.Fatalf("no command %q", name)
	return nil
}

// TestCLIHintsNameRealFlags: the advice for every condition names a flag
// (it is what the table is for), and every flag and environment variable
// it names exists, in each command where the condition arises, so that
// renaming a flag without its advice fails here.
func TestCLIHintsNameRealFlags(t *testing.T) {
	// Conditions of minting also arise in `webcall token`; --ttl only
	// there. Everything else arises in `webcall call`.
	arisesIn := func(cond error) []string {
		switch cond {
		case tokenpkg.ErrBadTTL:
			return []string{"token"}
		case tokenpkg.ErrNoAPIKey, tokenpkg.ErrNoAPISecret, tokenpkg.ErrAgentMetadataWithoutName, tokenpkg.ErrBadURL:
			return []string{"call", "token"}
		case control.ErrBadAddress, control.ErrUnprotectedAddress, control.ErrTokenFile, control.ErrTokenFileOpen,
			control.ErrTokenEmpty, control.ErrTokenShort, control.ErrTokenMalformed, control.ErrNoController:
			// The control API is the kiosk's.
			return []string{"kiosk"}
		}
		return []string{"call"}
	}
	for cond, hint := range cliHints {
		t.Run(cond.Error(), func(t *testing.T) {
			longs, shorts := longFlag.FindAllStringSubmatch(hint, -1), shortFlag.FindAllStringSubmatch(hint, -1)
			if len(longs)+len(shorts) == 0 {
				t.Fatalf("%q names no flag: advice without one belongs in the package's own hint", hint)
			}
			for _, name := range arisesIn(cond) {
				fs := subcommand(t, name).Flags()
				for _, m := range longs {
					if fs.Lookup(m[1]) == nil {
						t.Errorf("%q names --%s, which `webcall %s` does not have", hint, m[1], name)
					}
				}
				for _, m := range shorts {
					if fs.ShorthandLookup(m[1]) == nil {
						t.Errorf("%q names -%s, which `webcall %s` does not have", hint, m[1], name)
					}
				}
			}
			for _, v := range envName.FindAllString(hint, -1) {
				if !slices.Contains(commandEnv, v) {
					t.Errorf("%q names %s, which webcall does not read", hint, v)
				}
			}
		})
	}
}

// declaredConditions reads the ErrX = errors.New("...") values that the
// errors.go of dir declares, by name, with their text.
func declaredConditions(t *testing.T, dir string) map[string]string {
	t.Helper()
	path := filepath.Join("..", "..", dir, "errors.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	conds := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasPrefix(name.Name, "Err") || i >= len(spec.Values) {
				continue
			}
			call, ok := spec.Values[i].(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				t.Errorf("%s: %s is not errors.New(\"...\")", path, name.Name)
				continue
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: %s is not errors.New(\"...\")", path, name.Name)
				continue
			}
			text, _ := strconv.Unquote(lit.Value)
			conds[dir+"."+name.Name] = text
		}
		return true
	})
	return conds
}

// TestEveryConditionHasACLIHint: a condition a domain package declares
// but the table leaves out would reach the user with the package's hint,
// which cannot say which flag to use. The packages' errors.go files are
// read as source, so a new ErrX cannot be forgotten here.
func TestEveryConditionHasACLIHint(t *testing.T) {
	inTable := map[string]bool{}
	for cond := range cliHints {
		if inTable[cond.Error()] {
			t.Errorf("two conditions read %q; the check below needs them told apart", cond.Error())
		}
		inTable[cond.Error()] = true
	}
	declared := 0
	for _, dir := range []string{"pkg/token", "pkg/room", "pkg/call", "pkg/audio/device", "pkg/kiosk/control"} {
		for name, text := range declaredConditions(t, dir) {
			declared++
			if !inTable[text] {
				t.Errorf("%s (%q) has no entry in cliHints", name, text)
			}
		}
	}
	if declared != len(cliHints) {
		t.Errorf("the packages declare %d conditions, cliHints maps %d", declared, len(cliHints))
	}
}

func TestHintFor(t *testing.T) {
	cond := tokenpkg.ErrNoURL
	advice := cliHints[cond]
	unknown := errors.New("a condition the table does not know")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"the table wins over the package's hint",
			failure.New(failure.Usage, "no URL").WithCond(cond).WithHint("give the server's URL"), advice},
		{"found through a plain wrapper",
			fmt.Errorf("fetch: %w", failure.New(failure.Usage, "no URL").WithCond(cond)), advice},
		{"an outer hint wins over advice for an inner condition",
			failure.Wrap(failure.Connect, failure.New(failure.Usage, "bad URL").WithCond(cond), "the answer's URL is unusable").
				WithHint("fix the answer"), "fix the answer"},
		{"an outer error without hint defers to the inner condition",
			failure.Wrap(failure.Connect, failure.New(failure.Usage, "bad URL").WithCond(cond), "fetch"), advice},
		{"a condition not in the table keeps its hint",
			failure.New(failure.Usage, "x").WithCond(unknown).WithHint("the package's words"), "the package's words"},
		{"no condition: the package's hint",
			failure.Wrap(failure.Connect, failure.New(failure.Usage, "x").WithHint("inner words"), "outer"), "inner words"},
		{"a plain error has none", errors.New("boom"), ""},
		{"nil has none", nil, ""},
	}
	for _, tt := range tests {
		if got := hintFor(tt.err); got != tt.want {
			t.Errorf("%s: hintFor = %q, want %q", tt.name, got, tt.want)
		}
		if !errors.Is(tt.err, cond) && !errors.Is(tt.err, unknown) {
			if got := failure.HintOf(tt.err); got != tt.want {
				t.Errorf("%s: without a condition hintFor must equal HintOf (%q), got %q", tt.name, got, tt.want)
			}
		}
	}
}

// TestDomainPackagesNameNoFlags reads the string literals of every
// package under pkg/ for flag names and webcall's environment variables: those
// belong in hints.go. It guards the paths no test exercises.
func TestDomainPackagesNameNoFlags(t *testing.T) {
	commandWords := regexp.MustCompile(`(?:^|[\s(/'"])--[a-z][a-z0-9-]*|\b(?:` + strings.Join(commandEnv, "|") + `)\b`)
	root := filepath.Join("..", "..", "pkg")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				s = lit.Value
			}
			if w := commandWords.FindString(s); w != "" {
				t.Errorf("%s: %q names %q; name the condition (ErrX) and put the advice in hints.go", fset.Position(lit.Pos()), s, strings.TrimSpace(w))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("read only %d files under %s", checked, root)
	}
}
