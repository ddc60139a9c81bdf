// Package termtext measures text as a terminal draws it, for the live
// transcript and the test summary alike: both cut and pad text to a width
// in columns, not bytes or runes.
package termtext

import (
	"unicode"

	"golang.org/x/text/width"
)

// RuneWidth is how many terminal columns r takes: 2 for East Asian wide
// and fullwidth characters (and most emoji), 0 for combining marks and
// format characters, 1 otherwise.
func RuneWidth(r rune) int {
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// Width is the number of terminal columns s takes.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += RuneWidth(r)
	}
	return n
}
