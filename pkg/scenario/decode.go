package scenario

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// decoder walks one file's syntax tree. It decodes by hand rather than
// into tagged structs so that every problem carries the line and column
// of the node at fault, the field's path, and what was expected, in this
// package's words; it collects problems instead of stopping at the first.
type decoder struct {
	file    string
	dir     string
	env     func(string) string
	anchors map[string]ast.Node
	errs    Errors
}

// maxErrors per file: past this, more messages bury the first ones.
const maxErrors = 20

func (d *decoder) fail(n ast.Node, field, format string, args ...any) {
	line, col := position(n)
	d.failAt(line, col, field, format, args...)
}

func (d *decoder) failAt(line, col int, field, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func position(n ast.Node) (line, col int) {
	if n == nil || n.GetToken() == nil {
		return 0, 0
	}
	p := n.GetToken().Position
	return p.Line, p.Column
}

// resolve looks through anchors, aliases and tags to the node that holds
// the value.
func (d *decoder) resolve(n ast.Node) ast.Node {
	for range 100 { // an alias cycle is a parse error, but stay bounded
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := d.anchors[v.Value.GetToken().Value]
			if !ok {
				return n
			}
			n = target
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

// collectAnchors records every anchor so aliases can be followed wherever
// they are, whatever order the keys are decoded in.
func (d *decoder) collectAnchors(root ast.Node) {
	d.anchors = map[string]ast.Node{}
	ast.Walk(anchorVisitor(d.anchors), root)
}

type anchorVisitor map[string]ast.Node

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		v[a.Name.GetToken().Value] = a.Value
	}
	return v
}

// describe says what a node is, for "expected X, got Y".
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return strconv.Quote(v.Value)
	case *ast.LiteralNode:
		return "a block of text"
	default:
		if tk := n.GetToken(); tk != nil {
			return tk.Value
		}
		return n.Type().String()
	}
}

// entry is one key of a mapping and its value.
type entry struct {
	key   string
	keyN  ast.Node
	value ast.Node
	line  int
}

// mapping returns the entries of a mapping, in file order, reporting any
// key not in known. A null (a key with nothing after it) is an empty
// mapping. ok is false, and the problem reported, when n is not a mapping.
func (d *decoder) mapping(n ast.Node, field string, known []string) (entries []entry, ok bool) {
	n = d.resolve(n)
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return nil, true
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		d.fail(n, field, "expected a mapping of %s, got %s", listKeys(known), describe(n))
		return nil, false
	}
	for _, mv := range values {
		key := mv.Key.GetToken().Value
		line, _ := position(mv.Key)
		if !contains(known, key) {
			d.fail(mv.Key, join(field, key), "unknown key %q%s", key, suggest(key, known))
			continue
		}
		entries = append(entries, entry{key: key, keyN: mv.Key, value: mv.Value, line: line})
	}
	return entries, true
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func listKeys(keys []string) string {
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	return strings.Join(sorted, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest offers the nearest known key for a typo, or lists them all.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return "; expected one of " + listKeys(known)
}

// editDistance is Levenshtein's distance, for keys of a few letters.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// raw returns a scalar's text as written (after YAML's unquoting), before
// ${VAR} expansion. Numbers and booleans are taken as their text, so that
// contains: 2 means "2".
func (d *decoder) raw(n ast.Node, field string) (string, bool) {
	n = d.resolve(n)
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return n.GetToken().Value, true
	}
	d.fail(n, field, "expected a string, got %s", describe(n))
	return "", false
}

// str is a string value with ${VAR} expanded.
func (d *decoder) str(n ast.Node, field string) (string, bool) {
	s, ok := d.raw(n, field)
	if !ok {
		return "", false
	}
	return d.expandAt(n, field, s)
}

func (d *decoder) expandAt(n ast.Node, field, s string) (string, bool) {
	out, _, err := expand(s, d.env)
	if err != nil {
		d.fail(d.resolve(n), field, "%v", err)
		return "", false
	}
	return out, true
}

// nonEmpty is str that rejects an empty result.
func (d *decoder) nonEmpty(n ast.Node, field, what string) (string, bool) {
	s, ok := d.str(n, field)
	if ok && strings.TrimSpace(s) == "" {
		d.fail(d.resolve(n), field, "expected %s, got an empty string", what)
		return "", false
	}
	return s, ok
}

// item is one string of a list, with its line.
type item struct {
	value string
	line  int
}

// listNodes takes one value or a list of them, so that a key with a
// single entry needs no brackets.
func (d *decoder) listNodes(n ast.Node, field, what string) ([]ast.Node, bool) {
	n = d.resolve(n)
	seq, isSeq := n.(*ast.SequenceNode)
	if !isSeq {
		return []ast.Node{n}, true
	}
	if len(seq.Values) == 0 {
		d.fail(n, field, "expected %s or a list of them, got an empty list", what)
		return nil, false
	}
	return seq.Values, true
}

// strList takes one string or a list of them.
func (d *decoder) strList(n ast.Node, field string) ([]item, bool) {
	_, isSeq := d.resolve(n).(*ast.SequenceNode)
	nodes, ok := d.listNodes(n, field, "a string")
	var out []item
	for i, v := range nodes {
		f := field
		if isSeq {
			f = fmt.Sprintf("%s[%d]", field, i)
		}
		s, vok := d.nonEmpty(v, f, "a string")
		ok = ok && vok
		line, _ := position(d.resolve(v))
		out = append(out, item{s, line})
	}
	return out, ok
}

const durationExample = "a duration such as 1.5s or 800ms"

// duration parses Go's duration syntax. A bare number is refused, since
// whether 2 means seconds or milliseconds is exactly what a reader of the
// file would have to guess.
func (d *decoder) duration(n ast.Node, field string) (time.Duration, bool) {
	n = d.resolve(n)
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		v := n.GetToken().Value
		d.fail(n, field, "expected %s, got %s: add a unit, e.g. %ss", durationExample, v, v)
		return 0, false
	case *ast.StringNode:
	default:
		d.fail(n, field, "expected %s, got %s", durationExample, describe(n))
		return 0, false
	}
	s, ok := d.str(n, field)
	if !ok {
		return 0, false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		d.fail(n, field, "expected %s, got %q: add a unit, e.g. %ss", durationExample, s, s)
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.fail(n, field, "expected %s, got %q", durationExample, s)
		return 0, false
	}
	if v < 0 {
		d.fail(n, field, "expected %s, got %q: it must not be negative", durationExample, s)
		return 0, false
	}
	return v, true
}

// positiveDuration is duration that refuses zero, where zero would be a
// bound no agent meets or a wait that does not wait.
func (d *decoder) positiveDuration(n ast.Node, field string) (time.Duration, bool) {
	v, ok := d.duration(n, field)
	if ok && v == 0 {
		d.fail(d.resolve(n), field, "expected %s, got 0: it must be more than zero", durationExample)
		return 0, false
	}
	return v, ok
}

func (d *decoder) boolean(n ast.Node, field string) (bool, bool) {
	n = d.resolve(n)
	if b, ok := n.(*ast.BoolNode); ok {
		return b.Value, true
	}
	d.fail(n, field, "expected true or false, got %s", describe(n))
	return false, false
}

func (d *decoder) count(n ast.Node, field string) (int, bool) {
	n = d.resolve(n)
	in, ok := n.(*ast.IntegerNode)
	if ok {
		if v, err := strconv.Atoi(in.GetToken().Value); err == nil && v >= 0 {
			return v, true
		}
	}
	d.fail(n, field, "expected a whole number of at least 0, got %s", describe(n))
	return 0, false
}
