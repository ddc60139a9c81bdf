package scenario

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	env := func(k string) string { return map[string]string{"A": "1", "EMPTY": ""}[k] }
	tests := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${A}", "1", ""},
		{"x${A}y${A}", "x1y1", ""},
		{"${B:-two}", "two", ""},
		{"${EMPTY:-d}", "d", ""},
		{"${A:-d}", "1", ""},
		{"${B:-}", "", ""},
		{"$${A}", "${A}", ""},
		{"end$ and $A", "end$ and $A", ""},
		{"${B}", "", "the environment variable B is not set"},
		{"${A", "", "unterminated ${"},
		{"${1A}", "", `"${1A}" is not a variable reference`},
		{"${}", "", `"${}" is not a variable reference`},
	}
	for _, tt := range tests {
		got, _, err := expand(tt.in, env)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expand(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestOnlyReference(t *testing.T) {
	for in, want := range map[string]bool{
		"${TOKEN}": true, "${TOKEN:-x}": false, "x${TOKEN}": false, "${A}${B}": false, "secret": false, "${}": false,
	} {
		if got := onlyReference(in); got != want {
			t.Errorf("onlyReference(%q) = %v", in, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"max_latency", "max_gap", "contains"}
	for key, want := range map[string]string{
		"max_latncy": `; did you mean "max_latency"?`,
		"contain":    `; did you mean "contains"?`,
		"zzz":        "; expected one of contains, max_gap, max_latency",
	} {
		if got := suggest(key, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}
