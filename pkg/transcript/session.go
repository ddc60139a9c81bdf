package transcript

import (
	"fmt"
	"unicode/utf8"
)

// NewSession says that what follows comes from a new agent session: a
// call that lost its room and joined again, whose agent starts afresh.
// Its segment ids are its own, so one that an earlier session used (an
// agent that numbers its segments from 1, say) names a new segment,
// listed as "<id>~<n>" for the n-th session, rather than correcting the
// old one; ids not used before stay as they are. Call Flush first: the
// old session's open streams will never close.
func (s *Store) NewSession() {
	s.session++
	clear(s.renamed)
}

// sessionKey is the key of id's segment in the current session: id
// itself, unless an earlier session used it (see NewSession).
func (s *Store) sessionKey(id string) string {
	if key, ok := s.renamed[id]; ok {
		return key
	}
	if old := s.segments[id]; old != nil && old.session != s.session {
		key := fmt.Sprintf("%s~%d", id, s.session+1)
		s.renamed[id] = key
		return key
	}
	return id
}

// clipText cuts text to at most limit bytes at a character boundary.
func clipText(text string, limit int) string {
	if len(text) <= limit {
		return text
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}
