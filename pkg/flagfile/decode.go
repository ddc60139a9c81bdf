package flagfile

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/spf13/pflag"
)

// decoder walks one file's syntax tree rather than decoding into a map, so
// that each problem carries the line and column of the key or value at
// fault, and so that a value is taken as written (YAML would read 0123 as
// 83 and yes as true).
type decoder struct {
	file    string
	fs      *pflag.FlagSet
	opts    Options
	anchors map[string]ast.Node
	errs    Errors
}

// setting is one key of the file: its flag and the values to give it, one
// Set each.
type setting struct {
	flag   *pflag.Flag
	values []value
}

// value is one scalar as written, and where.
type value struct {
	text      string
	line, col int
}

func (d *decoder) fail(n ast.Node, key, format string, args ...any) {
	line, col := position(n)
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: col, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// position is where a node starts in the file; a block mapping's own
// token is its first colon, so it is placed at its first key instead.
func position(n ast.Node) (line, col int) {
	switch m := n.(type) {
	case *ast.MappingNode:
		if len(m.Values) > 0 && !m.IsFlowStyle {
			n = m.Values[0].Key
		}
	case *ast.MappingValueNode:
		n = m.Key
	}
	if n == nil || n.GetToken() == nil {
		return 0, 0
	}
	p := n.GetToken().Position
	return p.Line, p.Column
}

// decode returns the file's settings in file order; problems go to d.errs.
func (d *decoder) decode(src []byte) []setting {
	f, err := parse(src)
	if err != nil {
		d.syntaxError(err)
		return nil
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		return nil
	}
	if len(docs) > 1 {
		line, col := position(docs[1].Body)
		if start := docs[1].Start; start != nil {
			line, col = start.Position.Line, start.Position.Column
		}
		d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: col,
			Msg: "a second YAML document: a configuration file holds one mapping; remove the --- line and merge the keys"})
		return nil
	}
	d.collectAnchors(docs[0].Body)
	return d.mapping(docs[0].Body)
}

// parse parses src, turning a panic of the parser on input it did not
// foresee into an error: a kiosk's configuration is read at every start,
// and a stack trace is no answer to a broken file.
func parse(src []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, errors.New("the YAML parser could not read the file")
		}
	}()
	// Duplicate keys are found by key rather than by the parser, so that
	// they are reported with the file's other problems, in our words.
	return parser.ParseBytes(src, 0, parser.AllowDuplicateMapKey())
}

// syntaxError places the parser's complaint like our own. Only the
// parser's message is kept: its rendering quotes the file's lines.
func (d *decoder) syntaxError(err error) {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		p := ye.GetToken().Position
		d.errs = append(d.errs, &Error{File: d.file, Line: p.Line, Column: p.Column,
			Msg: "not valid YAML: " + printable(ye.GetMessage())})
		return
	}
	d.errs = append(d.errs, &Error{File: d.file, Msg: "not valid YAML: " + printable(err.Error())})
}

// mapping decodes the top level, which must map flag names to values.
func (d *decoder) mapping(body ast.Node) []setting {
	var entries []*ast.MappingValueNode
	switch n := d.resolve(body).(type) {
	case *ast.NullNode:
		return nil
	case *ast.MappingNode:
		entries = n.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{n}
	default:
		d.fail(body, "", "the top level must be a mapping of flag names to values (one \"name: value\" per line), not %s", describe(n))
		return nil
	}
	var out []setting
	seen := map[string]int{}
	for _, e := range entries {
		fl := d.key(e.Key, seen)
		if fl == nil {
			continue
		}
		vals, ok := d.values(fl, e.Value)
		if ok {
			out = append(out, setting{flag: fl, values: vals})
		}
	}
	return out
}

// key returns the flag a key names, or nil after reporting why it may
// not be set from the file. seen holds the line of each key met so far.
func (d *decoder) key(k ast.MapKeyNode, seen map[string]int) *pflag.Flag {
	if k.IsMergeKey() {
		d.fail(k, "", "merge keys (<<) are not supported: a configuration file is one flat mapping; write each key out")
		return nil
	}
	name, ok := scalarText(d.resolve(k))
	if !ok {
		d.fail(k, "", "a key must be a flag name, not %s", describe(d.resolve(k)))
		return nil
	}
	fl := d.fs.Lookup(name)
	if fl == nil && !flagLike.MatchString(name) {
		// Not quoted back: what is not a name may be a pasted token.
		d.fail(k, "", "a key that is not a flag name: the keys are the command's flag names, without the dashes")
		return nil
	}
	line, _ := position(k)
	canonical := name // two spellings of one flag are one key, if fs normalizes names
	if fl != nil {
		canonical = fl.Name
	}
	if first, dup := seen[canonical]; dup {
		d.fail(k, name, "duplicate key %q (first at line %d): keep one", name, first)
		return nil
	}
	seen[canonical] = line
	if trimmed := strings.TrimLeft(name, "-"); trimmed != name && trimmed != "" {
		d.fail(k, name, "key %q: write the flag name without its dashes: %q", name, trimmed)
		return nil
	}
	if fl == nil {
		d.fail(k, name, "unknown key %q%s", name, d.unknownAdvice(name))
		return nil
	}
	if d.opts.Refuse != nil {
		if reason, refused := d.opts.Refuse(fl.Name); refused {
			d.fail(k, fl.Name, "%s cannot be set in a configuration file: %s", fl.Name, reason)
			return nil
		}
	}
	if d.opts.Secret != nil {
		if instead, secret := d.opts.Secret(fl.Name); secret {
			if instead == "" {
				instead = "a file of its own or the environment"
			}
			d.fail(k, fl.Name, "%s is a secret and is not read from a configuration file: use %s", fl.Name, instead)
			return nil
		}
	}
	return fl
}

// flagLike matches what could be a flag name, mistyped or not: short,
// and letters, digits, dashes and underscores only.
var flagLike = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// unknownAdvice says what a key that names no flag was likely meant to be.
func (d *decoder) unknownAdvice(name string) string {
	if len(name) == 1 {
		if fl := d.fs.ShorthandLookup(name); fl != nil {
			return fmt.Sprintf(": a configuration file uses the long names; write %q", fl.Name)
		}
	}
	var names []string
	d.fs.VisitAll(func(fl *pflag.Flag) {
		if !fl.Hidden {
			names = append(names, fl.Name)
		}
	})
	if s := suggestion(name, names); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ": the keys are the command's flag names, without the dashes"
}

// values returns what to Set the flag to: one value, or one per item of a
// list for a flag that may be repeated.
func (d *decoder) values(fl *pflag.Flag, n ast.Node) ([]value, bool) {
	at := n // an implicit null is placed just after its key's colon
	v := d.resolve(n)
	switch seq := v.(type) {
	case *ast.NullNode:
		d.fail(at, fl.Name, "%s has no value: give one (\"\" for an empty one), or remove the key to keep the default", fl.Name)
		return nil, false
	case *ast.SequenceNode:
		if !isList(fl) {
			d.fail(at, fl.Name, "%s takes one value, not a list", fl.Name)
			return nil, false
		}
		// An empty list sets nothing, as leaving the key out does: the
		// command line has no way to say "no items" either.
		var out []value
		ok := true
		for _, item := range seq.Values {
			iv := d.resolve(item)
			text, scalar := scalarText(iv)
			switch {
			case isNull(iv):
				d.fail(item, fl.Name, "%s: an empty item in the list: give a value or remove the item", fl.Name)
				ok = false
			case !scalar:
				d.fail(item, fl.Name, "%s: each item of the list must be one value, not %s", fl.Name, describe(iv))
				ok = false
			default:
				line, col := position(item)
				out = append(out, value{text: text, line: line, col: col})
			}
		}
		return out, ok
	case *ast.MappingNode, *ast.MappingValueNode:
		d.fail(at, fl.Name, "%s takes a value, not a mapping: a key under it is indented too far, or the value needs quotes", fl.Name)
		return nil, false
	}
	text, ok := scalarText(v)
	if !ok {
		d.fail(at, fl.Name, "%s takes a value, not %s", fl.Name, describe(v))
		return nil, false
	}
	line, col := position(at)
	return []value{{text: text, line: line, col: col}}, true
}

// isList reports whether a flag may be repeated, so a list gives it
// several values: pflag's slices and arrays say so by their type.
func isList(fl *pflag.Flag) bool {
	if _, ok := fl.Value.(pflag.SliceValue); ok {
		return true
	}
	t := fl.Value.Type()
	return strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array")
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok
}

// scalarText returns a scalar's text as written: unquoted strings, block
// text, and numbers and booleans in their spelling in the file.
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// resolve looks through anchors, aliases and tags to the node that holds
// the value.
func (d *decoder) resolve(n ast.Node) ast.Node {
	for range 100 { // an alias cycle is a parse error, but stay bounded
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := d.anchors[aliasName(v)]
			if !ok {
				return n
			}
			n = target
		case *ast.TagNode:
			n = v.Value
		case *ast.MappingKeyNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

func aliasName(a *ast.AliasNode) string {
	if a.Value == nil || a.Value.GetToken() == nil {
		return ""
	}
	return a.Value.GetToken().Value
}

// collectAnchors records every anchor so that aliases can be followed.
func (d *decoder) collectAnchors(root ast.Node) {
	d.anchors = map[string]ast.Node{}
	ast.Walk(anchorVisitor(d.anchors), root)
}

type anchorVisitor map[string]ast.Node

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil && a.Name.GetToken() != nil {
		v[a.Name.GetToken().Value] = a.Value
	}
	return v
}

// describe says what a node is, for "not X" in a message.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.AliasNode:
		return "an alias to an unknown anchor " + quote(aliasName(v))
	case *ast.LiteralNode:
		return "a block of text"
	}
	// A scalar is not quoted back: a file that is one value may be a
	// secret's file given in the wrong place.
	if _, ok := scalarText(n); ok {
		return "a single value: is it the right file?"
	}
	return "a " + n.Type().String()
}
