// Package redact keeps secrets (API keys, API secrets, tokens) out of
// everything webcall prints. Secrets are registered the moment they are
// known; every output stream goes through a Writer that replaces each
// registered secret, and its URL- and JSON-escaped forms, with [REDACTED].
//
// Redaction is the last line of defence: code should still never format a
// secret into a message. It only protects text written after the secret was
// registered.
package redact

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Mask is what a secret is replaced with.
const Mask = "[REDACTED]"

// MinLen is the shortest secret that is redacted. Replacing a one- or
// two-letter "secret" everywhere would garble all output while protecting
// nothing, since such a value is guessed at once anyway.
const MinLen = 3

// Registry is a set of secrets. The zero value is empty and ready to use;
// it is safe for concurrent use.
type Registry struct {
	mu      sync.Mutex
	secrets map[string]bool
	// forms holds every spelling to replace, longest first, so that a secret
	// that contains another is replaced whole. Writers read it on every
	// Write without taking the lock.
	forms atomic.Pointer[[]string]
}

// Default is the process-wide registry that String, Add and NewWriter use.
// One registry for the process is the point: a secret registered anywhere
// is hidden from every output.
var Default = &Registry{}

// Add registers secrets with the Default registry.
func Add(secrets ...string) { Default.Add(secrets...) }

// String returns s with every secret of the Default registry masked.
func String(s string) string { return Default.String(s) }

// Add registers secrets. Empty strings and strings shorter than MinLen are
// ignored; surrounding white space is not part of a secret.
func (r *Registry) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < MinLen || r.secrets[s] {
			continue
		}
		if r.secrets == nil {
			r.secrets = make(map[string]bool)
		}
		r.secrets[s] = true
		changed = true
	}
	if !changed {
		return
	}
	seen := make(map[string]bool)
	var forms []string
	for s := range r.secrets {
		for _, f := range spellings(s) {
			if len(f) >= MinLen && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	sort.Slice(forms, func(i, j int) bool {
		if len(forms[i]) != len(forms[j]) {
			return len(forms[i]) > len(forms[j])
		}
		return forms[i] < forms[j]
	})
	r.forms.Store(&forms)
}

// spellings are the ways a secret shows up in output: as is, escaped for a
// URL query or path, and escaped inside a JSON string.
func spellings(s string) []string {
	out := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	if b, err := json.Marshal(s); err == nil {
		out = append(out, string(b[1:len(b)-1]))
	}
	return out
}

func (r *Registry) loadForms() []string {
	if p := r.forms.Load(); p != nil {
		return *p
	}
	return nil
}

// String returns s with every registered secret masked.
func (r *Registry) String(s string) string {
	forms := r.loadForms()
	if len(forms) == 0 {
		return s
	}
	out, rest := scan(nil, []byte(s), forms, true)
	return string(append(out, rest...))
}

// scan appends src to out with every complete occurrence of a form masked.
// Unless final, it stops at the first position where the remaining input
// could be the start of a form and returns that tail as rest, to be scanned
// again once more input has arrived.
func scan(out, src []byte, forms []string, final bool) (masked, rest []byte) {
	for i := 0; i < len(src); {
		tail := src[i:]
		matched, partial := 0, false
		for _, f := range forms {
			if tail[0] != f[0] {
				continue
			}
			if len(tail) >= len(f) {
				if matched == 0 && string(tail[:len(f)]) == f {
					matched = len(f) // forms are longest first
				}
			} else if !final && string(tail) == f[:len(tail)] {
				partial = true
			}
		}
		switch {
		case partial:
			// A longer secret may still complete here: wait for more.
			return out, src[i:]
		case matched > 0:
			out = append(out, Mask...)
			i += matched
		default:
			out = append(out, src[i])
			i++
		}
	}
	return out, nil
}
