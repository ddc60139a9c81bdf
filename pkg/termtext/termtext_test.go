package termtext

import "testing"

func TestWidth(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"agent", 5},
		{"日本", 4},       // wide
		{"e\u0301", 1},  // e and a combining acute accent
		{"a\u200db", 2}, // a zero-width joiner takes no column
		{"🙂 ok", 5},     // an emoji is wide
	} {
		if got := Width(tc.s); got != tc.want {
			t.Errorf("Width(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}
