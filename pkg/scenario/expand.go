package scenario

import (
	"fmt"
	"strings"
)

// reference is one ${NAME} or ${NAME:-default} in a string.
type reference struct {
	name       string
	def        string
	hasDefault bool
}

// expand replaces ${NAME} and ${NAME:-default} in s from env; $${ stands
// for a literal ${. Other dollars are left alone, so that a regular
// expression's $ needs no escaping. As env cannot tell an unset variable
// from an empty one, both count as unset, as in the shell's ${NAME:-x}.
func expand(s string, env func(string) string) (string, []reference, error) {
	if !strings.Contains(s, "${") {
		return s, nil, nil
	}
	var b strings.Builder
	var refs []reference
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), refs, nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", nil, fmt.Errorf("unterminated ${ in %q: close it with }, or write $${ for a literal ${", s[i:])
		}
		ref := parseReference(s[i+2 : i+end])
		if !isVariableName(ref.name) {
			return "", nil, fmt.Errorf("%q is not a variable reference: expected ${NAME} or ${NAME:-default}, NAME of letters, digits and _", s[i:i+end+1])
		}
		refs = append(refs, ref)
		v := env(ref.name)
		if v == "" {
			if !ref.hasDefault {
				return "", nil, fmt.Errorf("the environment variable %s is not set (set it, or give a default: ${%s:-value})", ref.name, ref.name)
			}
			v = ref.def
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

func parseReference(body string) reference {
	if name, def, ok := strings.Cut(body, ":-"); ok {
		return reference{name: name, def: def, hasDefault: true}
	}
	return reference{name: body}
}

func isVariableName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// onlyReference reports whether raw is exactly one ${NAME}, without a
// default: the one form a secret may take, since a default or any text
// around the reference would put (part of) the secret in the file.
func onlyReference(raw string) bool {
	if !strings.HasPrefix(raw, "${") || !strings.HasSuffix(raw, "}") {
		return false
	}
	body := raw[2 : len(raw)-1]
	return !strings.ContainsAny(body, "{}") && isVariableName(body)
}
