package transcript

import "slices"

// DefaultMaxSegments is how many segments a Store holds when Options say
// nothing: a busy conversation makes about 20 a minute (both speakers), so
// 10,000 is over eight hours of talk, and at the text a segment usually
// holds (tens to hundreds of bytes) a few MB at most. A kiosk call or a
// long microphone call may go on for hours; past the bound the oldest
// final segments are let go (see Store.Dropped).
const DefaultMaxSegments = 10_000

// Dropped is how many segments the Store has let go to stay within
// Options.MaxSegments, which Segments no longer lists: the oldest final
// ones (see bound for the only exception). A transcript file says how many
// earlier segments it does not hold (Conversation.SegmentsNotKept).
func (s *Store) Dropped() int { return s.dropped }

// bound lets segments go until the Store holds at most maxSegments,
// segments without text yet included, never fresh (the one just made).
// The oldest final segment goes first: it is settled, and has been shown
// and reported. A segment still changing (interim, or final with a
// correction being written) stays; only if more than maxSegments of those
// are open at once, which no agent does but a broken or hostile one could,
// do the oldest of them go too, with their streams.
//
// Everything that is keyed by a segment's id goes with it, so that a
// Store's memory stays bounded however long the call; an id that comes
// back afterwards starts a new segment, listed last.
func (s *Store) bound(fresh *segment) {
	for len(s.segments) > s.maxSegments {
		victim := s.oldestSettled()
		if victim < 0 {
			victim = slices.IndexFunc(s.order, func(seg *segment) bool { return seg != fresh })
		}
		if victim >= 0 {
			seg := s.order[victim]
			s.unlist(victim)
			s.drop(seg)
			s.dropped++
			continue
		}
		// Only segments without text are left: the one whose stream
		// opened first goes.
		var oldest *segment
		for _, seg := range s.segments {
			if seg != fresh && (oldest == nil || seg.stream == nil || (oldest.stream != nil && seg.stream.seq < oldest.stream.seq)) {
				oldest = seg
			}
		}
		if oldest == nil {
			return
		}
		s.drop(oldest)
	}
}

// oldestSettled is the index in order of the oldest final segment without
// an open stream, or -1.
func (s *Store) oldestSettled() int {
	return slices.IndexFunc(s.order, func(seg *segment) bool { return seg.Final && seg.stream == nil })
}

// unlist takes order[i] out of the list. The oldest goes by moving the
// list's start, so that letting go of one segment per new one costs
// nothing; append copies the list (and frees what is before it) when it
// grows.
func (s *Store) unlist(i int) {
	if i == 0 {
		s.order[0] = nil
		s.order = s.order[1:]
		return
	}
	s.order = slices.Delete(s.order, i, i+1)
}

// drop forgets seg and everything that refers to it by id.
func (s *Store) drop(seg *segment) {
	delete(s.segments, seg.ID)
	if seg.stream != nil {
		delete(s.streams, seg.stream.id)
		seg.stream = nil
	}
	for speaker, key := range s.unnamed {
		if key == seg.ID {
			delete(s.unnamed, speaker)
		}
	}
	if seg.origID != "" && s.renamed[seg.origID] == seg.ID {
		delete(s.renamed, seg.origID)
	}
}
