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

// MinLen is the shortest secret that is masked. Shorter values protect
// nothing (they are guessed at once) and are often ordinary words: the
// local development server's key pair is devkey/secret, and masking every
// "secret" turned messages into "needs an API key and its [REDACTED]".
// Generated keys, secrets and tokens are far longer.
const MinLen = 8

// wholeWordBelow: a secret shorter than this is only masked where it stands
// as a word of its own, so that a short one that happens to be part of
// other words does not garble them. Longer secrets are masked wherever they
// appear, inside URLs and JSON included.
const wholeWordBelow = 12

// Registry is a set of secrets. The zero value is empty and ready to use;
// it is safe for concurrent use.
type Registry struct {
	mu      sync.Mutex
	secrets map[string]bool
	// forms holds every spelling to replace, longest first, so that a secret
	// that contains another is replaced whole. Writers read it on every
	// Write without taking the lock.
	forms atomic.Pointer[[]form]
}

// form is one spelling of a secret; whole is set when the secret is short
// enough to be masked only as a word of its own (see wholeWordBelow).
type form struct {
	s     string
	whole bool
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
	var forms []form
	for s := range r.secrets {
		for _, f := range spellings(s) {
			if len(f) >= MinLen && !seen[f] {
				seen[f] = true
				forms = append(forms, form{s: f, whole: len(s) < wholeWordBelow})
			}
		}
	}
	sort.Slice(forms, func(i, j int) bool {
		if len(forms[i].s) != len(forms[j].s) {
			return len(forms[i].s) > len(forms[j].s)
		}
		return forms[i].s < forms[j].s
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

func (r *Registry) loadForms() []form {
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
	out, rest := scan(nil, []byte(s), forms, 0, true)
	return string(append(out, rest...))
}

// scan appends src to out with every complete occurrence of a form masked.
// prev is the byte that came before src (0 at the start). Unless final, it
// stops at the first position where the remaining input could be the start
// of a form, or a short form that still needs the byte after it to decide,
// and returns that tail as rest, to be scanned again with more input.
func scan(out, src []byte, forms []form, prev byte, final bool) (masked, rest []byte) {
	for i := 0; i < len(src); {
		tail := src[i:]
		before := prev
		if i > 0 {
			before = src[i-1]
		}
		matched, partial := 0, false
		for _, fm := range forms {
			f, whole := fm.s, fm.whole
			if tail[0] != f[0] {
				continue
			}
			if whole && isWordByte(before) {
				continue
			}
			if len(tail) < len(f) {
				partial = partial || (!final && string(tail) == f[:len(tail)])
				continue
			}
			if matched != 0 || string(tail[:len(f)]) != f {
				continue
			}
			if whole {
				if len(tail) == len(f) && !final {
					partial = true // the next byte decides
					continue
				}
				if len(tail) > len(f) && isWordByte(tail[len(f)]) {
					continue
				}
			}
			matched = len(f) // forms are longest first
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

// isWordByte: letters, digits, '_' and '-' (and any non-ASCII byte) join
// with a short secret into a different word.
func isWordByte(b byte) bool {
	return b >= 0x80 || b == '_' || b == '-' ||
		('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}
