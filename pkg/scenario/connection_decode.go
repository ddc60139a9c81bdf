package scenario

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// secretEnv suggests a variable for each secret in messages. The names
// are examples, not the command line's own variables: which of those a
// program reads is the program's to say (pkg/ names no flags or knobs).
var secretEnv = map[string]string{
	"token":      "CALL_TOKEN",
	"api_secret": "API_SECRET",
	"api_key":    "PROVIDER_API_KEY",
}

func connectionKeyNames() []string {
	var names []string
	for _, k := range connectionKeys {
		names = append(names, k.key)
	}
	for k := range secretFileKeys {
		names = append(names, k)
	}
	return names
}

func (d *decoder) connection(n ast.Node, field string, c *Connection) {
	entries, ok := d.mapping(n, field, connectionKeyNames())
	if !ok {
		return
	}
	byKey := map[string]entry{}
	for _, e := range entries {
		byKey[e.key] = e
	}
	// The provider decides whether api_key is a secret: HMS's key is, a
	// LiveKit API key is not (its secret is).
	hms := false
	// Quietly: the provider's own problems are reported once, below.
	if e, ok := byKey["provider"]; ok {
		if raw, ok := d.resolve(e.value).(*ast.StringNode); ok {
			v, _, _ := expand(raw.Value, d.env)
			hms = strings.EqualFold(v, "hms")
		}
	}
	for _, k := range connectionKeys {
		e, ok := byKey[k.key]
		if !ok {
			continue
		}
		f := join(field, k.key)
		if k.key == "headers" {
			nodes, _ := d.listNodes(e.value, f, "a header")
			_, isSeq := d.resolve(e.value).(*ast.SequenceNode)
			for i, hn := range nodes {
				hf := f
				if isSeq {
					hf = fmt.Sprintf("%s[%d]", f, i)
				}
				if v, ok := d.header(hn, hf); ok {
					c.Headers = append(c.Headers, v)
				}
			}
			continue
		}
		if k.list != nil {
			items, _ := d.strList(e.value, f)
			for _, it := range items {
				*k.list(c) = append(*k.list(c), it.value)
			}
			continue
		}
		if k.secret || (hms && k.key == "api_key") {
			if !d.secret(e, f) {
				continue
			}
		}
		v, ok := d.str(e.value, f)
		if !ok {
			continue
		}
		switch {
		case k.path:
			v, _ = d.existingFile(e.value, f, v, "file")
		case k.atFile && strings.HasPrefix(v, "@"):
			if p, ok := d.existingFile(e.value, f, v[1:], "file"); ok {
				v = "@" + p
			}
		}
		*k.field(c) = v
	}
	for fileKey, key := range secretFileKeys {
		e, ok := byKey[fileKey]
		if !ok {
			continue
		}
		f := join(field, fileKey)
		if other, both := byKey[key]; both {
			d.fail(e.keyN, f, "give %s or %s (line %d), not both", fileKey, key, other.line)
			continue
		}
		p, ok := d.str(e.value, f)
		if !ok {
			continue
		}
		if p, ok = d.existingFile(e.value, f, p, "file"); !ok {
			continue
		}
		v, ok := d.readSecret(e.value, f, p)
		if !ok {
			continue
		}
		if key == "token" {
			c.Token, c.TokenFile = v, p
		} else {
			c.APISecret, c.APISecretFile = v, p
		}
	}
}

// secret checks that a secret is written as ${VAR}, never as its value,
// so that a scenario file can be committed and shown. The message never
// repeats what was written, as that may be the secret.
func (d *decoder) secret(e entry, field string) bool {
	raw, ok := d.raw(e.value, field)
	if !ok {
		return false
	}
	if onlyReference(raw) {
		return true
	}
	env := secretEnv[e.key]
	if strings.Contains(raw, ":-") {
		d.fail(d.resolve(e.value), field, "a secret may not have a default, which would put it in the file; put secrets in the environment: %s: ${%s}", e.key, env)
		return false
	}
	alt := ""
	if _, ok := secretFileKeys[e.key+"_file"]; ok {
		alt = fmt.Sprintf(", or read it from a file: %s_file: PATH", e.key)
	}
	d.fail(d.resolve(e.value), field, "a secret is written in the file; put secrets in the environment: %s: ${%s}%s", e.key, env, alt)
	return false
}

// header checks one "Name: value" header, whose value is taken for a
// secret (it is usually an authorization), or an @FILE of them.
func (d *decoder) header(n ast.Node, field string) (string, bool) {
	raw, ok := d.raw(n, field)
	if !ok {
		return "", false
	}
	if strings.HasPrefix(raw, "@") {
		p, ok := d.str(n, field)
		if !ok {
			return "", false
		}
		p, ok = d.existingFile(n, field, p[1:], "header file")
		return "@" + p, ok
	}
	name, value, ok := strings.Cut(raw, ":")
	if !ok || strings.TrimSpace(name) == "" {
		d.fail(d.resolve(n), field, "expected a header 'Name: value' or @FILE")
		return "", false
	}
	_, refs, err := expand(value, func(string) string { return "x" })
	if err != nil || len(refs) == 0 || hasDefault(refs) {
		d.fail(d.resolve(n), field, "a header's value is taken for a secret and must come from the environment: %s: Bearer ${API_TOKEN}", strings.TrimSpace(name))
		return "", false
	}
	return d.str(n, field)
}

func hasDefault(refs []reference) bool {
	for _, r := range refs {
		if r.hasDefault {
			return true
		}
	}
	return false
}

// maxSecretBytes bounds a secret file: keys and tokens are a few hundred
// bytes.
const maxSecretBytes = 64 << 10

// readSecret reads a one-line secret file.
func (d *decoder) readSecret(n ast.Node, field, path string) (string, bool) {
	b, err := readLimited(path, maxSecretBytes)
	if err != nil {
		d.fail(d.resolve(n), field, "cannot read %s: %s", path, describeOSError(err))
		return "", false
	}
	v := strings.TrimRight(string(b), "\r\n")
	switch {
	case len(b) > maxSecretBytes:
		d.fail(d.resolve(n), field, "%s is larger than %d KiB: it must hold just the secret", path, maxSecretBytes>>10)
		return "", false
	case strings.TrimSpace(v) == "":
		d.fail(d.resolve(n), field, "%s is empty: put the secret on its first line", path)
		return "", false
	case strings.ContainsAny(v, "\r\n"):
		d.fail(d.resolve(n), field, "%s has more than one line: it must hold just the secret", path)
		return "", false
	}
	return v, true
}
