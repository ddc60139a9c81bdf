package flagfile

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is the condition of every error Apply returns: the file could
// not be read, or it breaks the format. The error's chain holds an Errors
// listing the problems found, so a command can match it with errors.Is
// and add its own advice.
var ErrInvalid = errors.New("invalid configuration file")

// Error is one problem in a configuration file, located so that an editor
// can jump to it: the file as it was given, the 1-based line and column of
// the offending key or value (zero when the problem is the file as a
// whole), the key it concerns (empty when none), and what is wrong and
// what to do.
type Error struct {
	File   string
	Line   int
	Column int
	Key    string
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem Apply found, in position order, so that one run
// shows everything there is to fix (up to maxErrors).
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

// maxErrors per file: past this, more messages bury the first ones (a
// file of another format given by mistake fails on every line).
const maxErrors = 20

// sorted orders es by position and bounds it to maxErrors, saying how
// many were left out.
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	if len(es) > maxErrors {
		rest := len(es) - maxErrors
		es = append(es[:maxErrors:maxErrors], &Error{File: es[0].File, Msg: fmt.Sprintf("and %d more problems", rest)})
	}
	return es
}

// maxShown bounds a value quoted back in a message: enough to recognise
// it, not a wall of text.
const maxShown = 60

// quote shows a value in a message, shortened when long.
func quote(s string) string {
	if utf8.RuneCountInString(s) <= maxShown {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:maxShown])) + "..."
}

// suggestion offers the nearest of names for a mistyped key, or "" when
// none is near enough to be the likely intent.
func suggestion(key string, names []string) string {
	best, bestDist := "", maxTypo(key)+1
	for _, n := range names {
		if d := editDistance(key, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// maxTypo is how many edits still count as a typo of a key: two for most
// names (a swapped pair of letters is two), fewer for names so short that
// two edits reach an unrelated one.
func maxTypo(key string) int {
	switch n := utf8.RuneCountInString(key); {
	case n <= 2:
		return 0
	case n <= 4:
		return 1
	}
	return 2
}

// editDistance is Levenshtein's distance between two flag names.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// valueProblem says, in the terms of a configuration file, why value was
// refused for a flag of type typ: the reason of fs.Set's error without its
// command-line wording. cause is the flag value's own error.
func valueProblem(typ, value string, cause error) string {
	if errors.Is(cause, strconv.ErrRange) {
		return quote(value) + " is out of range for a " + typeWords(typ)
	}
	switch elem := strings.TrimSuffix(strings.TrimSuffix(typ, "Slice"), "Array"); elem {
	case "bool":
		return quote(value) + " is not a boolean (true or false)"
	case "duration":
		return quote(value) + " is not a duration: write a number with a unit, e.g. 30s, 5m or 1h30m"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "count":
		return quote(value) + " is not a whole number"
	case "float32", "float64":
		return quote(value) + " is not a number"
	}
	return "cannot use " + quote(value) + ": " + printable(cause.Error())
}

// typeWords names a flag's value type for a person.
func typeWords(typ string) string {
	switch {
	case strings.HasPrefix(typ, "int"), strings.HasPrefix(typ, "uint"):
		return "whole number of this size"
	case strings.HasPrefix(typ, "float"):
		return "number"
	case strings.HasPrefix(typ, "duration"):
		return "duration"
	}
	return typ + " value"
}

// printable escapes the control characters of a message that quotes the
// file (the parser's does), so that a tab shows as \t and a file cannot
// send escape sequences to the terminal.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
