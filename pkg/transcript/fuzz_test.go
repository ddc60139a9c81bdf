package transcript

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzStore decodes its input into a sequence of the Store's updates, as
// the room package makes them from whatever agents send (streams opened,
// written, closed and superseded in any order, legacy packets, ticks, the
// final flush), and checks the Store's invariants after every step:
//   - Segments() lists each id once, in order of first text: each step
//     only appends to the list; every listed segment has text, at most
//     the limit, and Started <= Updated;
//   - a final segment is never made interim again, and Final is reported
//     once per segment; a Correction only for a final segment and with
//     other text; no Change repeats what the segment already showed;
//   - each Change's segment is the one Segments() lists after the step
//     (for the last Change of that id);
//   - the text held is bounded by the input: no segment holds more bytes
//     than were fed in;
//   - after Flush every segment is final, and a second Flush reports
//     nothing.
//
// Each input is played twice: with the default segment bound, which it
// never reaches, and with a bound of fuzzMaxSegments, which it passes
// often. There, memory stays bounded: the Store holds at most that many
// segments, streams and renamed ids, and Segments() is what it was, less
// segments let go (no more than Dropped() counts), plus new ones at the
// end; the rules above hold for the segments kept, and a segment let go
// whose id comes back is a new segment.
//
// The Store's text limit is cut to fuzzMaxText so that short inputs reach
// it.
func FuzzStore(f *testing.F) {
	for _, seed := range storeSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzStore(t, data, 0)
		fuzzStore(t, data, fuzzMaxSegments)
	})
}

// fuzzMaxSegments is the bound of FuzzStore's second run: the inputs
// name up to nine segments.
const fuzzMaxSegments = 3

func fuzzStore(t *testing.T, data []byte, maxSegments int) {
	s := NewStore(Options{MaxSegments: maxSegments})
	s.maxText = fuzzMaxText
	r := &opReader{data: data}
	now := time.Unix(1_700_000_000, 0)
	var fed, dropped int
	var prev []Segment
	finals := map[string]bool{}
	for step := 0; !r.done() && step < 256; step++ {
		now = now.Add(time.Duration(r.byte()) * 5 * time.Millisecond)
		var changes []Change
		op := r.byte() % 8
		var what string
		switch op {
		case 0, 1:
			info := StreamInfo{
				StreamID:  r.pick("s1", "s2", "s3", "s4"),
				SegmentID: r.pick("", "g1", "g2", "g3"),
				Speaker:   Speaker(r.pick(string(SpeakerUser), string(SpeakerAgent))),
				Identity:  r.pick("caller", "agent", ""),
				Sender:    r.pick("agent", "caller", "other"),
				Final:     r.byte()&1 == 1,
			}
			what = fmt.Sprintf("open %+v", info)
			changes = s.OpenStream(now, info)
		case 2, 3:
			id, text := r.pick("s1", "s2", "s3", "s4"), r.text()
			fed += len(text)
			what = fmt.Sprintf("append %s %q", id, text)
			changes = s.AppendStream(now, id, text)
		case 4:
			id := r.pick("s1", "s2", "s3", "s4")
			var final *bool
			switch r.byte() % 3 {
			case 1:
				final = new(bool)
			case 2:
				final = new(bool)
				*final = true
			}
			what = "close " + id
			changes = s.CloseStream(now, id, final)
		case 5:
			seg := LegacySegment{
				ID:       r.pick("l1", "l2"),
				Speaker:  Speaker(r.pick(string(SpeakerUser), string(SpeakerAgent))),
				Identity: r.pick("caller", "agent", ""),
				Text:     r.text(),
				Final:    r.byte()&1 == 1,
			}
			fed += len(seg.Text)
			what = fmt.Sprintf("legacy %+v", seg)
			changes = s.Legacy(now, r.pick("agent", "caller", "other"), seg)
		case 6:
			what = "tick"
			changes = s.Tick(now)
		case 7:
			what = "flush"
			changes = s.Flush(now)
		}
		segs := s.Segments()
		drops := s.Dropped() - dropped
		dropped = s.Dropped()
		if maxSegments > 0 {
			what = fmt.Sprintf("%s (at most %d segments)", what, maxSegments)
			if len(s.segments) > maxSegments || len(s.streams) > maxSegments || len(s.renamed) > maxSegments || len(s.order) > maxSegments {
				t.Fatalf("after %s: the store holds %d segments (%d listed), %d streams, %d renamed ids", what, len(s.segments), len(s.order), len(s.streams), len(s.renamed))
			}
		} else if drops != 0 {
			t.Fatalf("after %s: %d segments dropped below the default bound", what, drops)
		}
		checkStep(t, what, prev, segs, changes, finals, fed, drops)
		if op == 7 {
			for _, sg := range segs {
				if !sg.Final {
					t.Fatalf("after flush, segment %q is not final", sg.ID)
				}
			}
			if again := s.Flush(now); len(again) != 0 {
				t.Fatalf("a second flush reported %+v", again)
			}
		}
		prev = segs
	}
}

// fuzzMaxText is the Store's text limit in FuzzStore.
const fuzzMaxText = 48

// checkStep checks one step's outcome; drops is how many segments the
// step let go (Dropped's increase). A segment let go and a new one of the
// same id may both appear in one step's changes, so while segments are
// let go the rules that follow one id across changes are not applied.
func checkStep(t *testing.T, what string, prev, segs []Segment, changes []Change, finals map[string]bool, fed, drops int) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("after %s: "+format, append([]any{what}, args...)...)
	}
	byID := map[string]Segment{}
	for _, sg := range segs {
		if _, dup := byID[sg.ID]; dup {
			fail("segment %q listed twice", sg.ID)
		}
		byID[sg.ID] = sg
		if sg.Text == "" || len(sg.Text) > fuzzMaxText || len(sg.Text) > fed {
			fail("segment %q holds %d bytes (limit %d, %d fed)", sg.ID, len(sg.Text), fuzzMaxText, fed)
		}
		if sg.Updated.Before(sg.Started) {
			fail("segment %q updated before it started", sg.ID)
		}
	}
	// segs is prev less the segments let go, in the same order, then the
	// new ones.
	kept, gone := 0, 0
	for _, p := range prev {
		if kept < len(segs) && segs[kept].ID == p.ID {
			if p.Final && !segs[kept].Final {
				fail("final segment %q made interim again", p.ID)
			}
			kept++
			continue
		}
		gone++
	}
	if gone > drops {
		fail("%d listed segments gone, %d let go: %v, was %v", gone, drops, ids(segs), ids(prev))
	}
	strict := drops == 0
	shown := map[string]Segment{}
	for _, sg := range prev {
		shown[sg.ID] = sg
	}
	last := map[string]Segment{}
	for _, c := range changes {
		id := c.Segment.ID
		before, had := shown[id]
		switch c.Kind {
		case Interim:
			if strict && finals[id] {
				fail("interim change for final segment %q", id)
			}
			if had && before.Text == c.Segment.Text {
				fail("interim change for %q repeats its text", id)
			}
		case Final:
			if strict && finals[id] {
				fail("segment %q reported final twice", id)
			}
			finals[id] = true
		case Correction:
			if strict && (!finals[id] || (had && before.Text == c.Segment.Text)) {
				fail("correction of %q that was not final or kept its text", id)
			}
		default:
			fail("change of kind %v", c.Kind)
		}
		if (c.Kind == Interim) == c.Segment.Final {
			fail("change %v of %q says final=%v", c.Kind, id, c.Segment.Final)
		}
		if c.Segment.Text == "" {
			fail("change of %q without text", id)
		}
		shown[id] = c.Segment
		last[id] = c.Segment
	}
	for id, sg := range last {
		got, ok := byID[id]
		if !ok && !strict {
			continue // reported, then let go
		}
		if !ok || got.Text != sg.Text || got.Final != sg.Final {
			fail("change says %q is %+v, Segments() %+v", id, sg, got)
		}
	}
	// A segment let go is forgotten: its id may start a new one.
	for id := range finals {
		if _, ok := byID[id]; !ok {
			delete(finals, id)
		}
	}
}

func ids(segs []Segment) []string {
	out := make([]string, len(segs))
	for i, sg := range segs {
		out[i] = sg.ID
	}
	return out
}

// opReader hands out the fuzz input as small decisions; past its end
// every decision is zero.
type opReader struct {
	data []byte
	off  int
}

func (r *opReader) done() bool { return r.off >= len(r.data) }

func (r *opReader) byte() byte {
	if r.done() {
		return 0
	}
	b := r.data[r.off]
	r.off++
	return b
}

func (r *opReader) pick(choices ...string) string { return choices[int(r.byte())%len(choices)] }

// text is up to 31 bytes taken as they are: any bytes, JSON lines and
// broken UTF-8 included.
func (r *opReader) text() string {
	n := min(int(r.byte()%32), len(r.data)-r.off)
	t := string(r.data[r.off : r.off+n])
	r.off += n
	return t
}

// storeSeeds are update sequences the store's tests play out, spelled in
// opReader's terms: an agent's words streamed and closed, a user's
// interims and final, a JSON payload, a legacy packet, a flush.
var storeSeeds = [][]byte{
	// agent stream g1 written word by word, closed, flushed.
	append(append(append([]byte{0, 0, 0, 1, 1, 1, 0, 0},
		10, 2, 0, 6), "Hello "...), append([]byte{10, 2, 0, 6}, "there."...)...),
	// user interim then final stream on g2, trailer final, flush.
	append(append([]byte{0, 0, 1, 2, 0, 0, 1, 0, 3, 2, 1, 5}, "hi th"...), []byte{0, 4, 1, 2, 0, 7}...),
	// a JSON payload line on an agent stream, then a legacy packet.
	append(append([]byte{0, 0, 2, 3, 1, 1, 0, 0, 0, 2, 2, 14}, "{\"text\":\"ok\"}\n"...), append([]byte{0, 5, 0, 1, 1, 5}, "hello"...)...),
	// a long stream past the limit, closed without a trailer.
	append(append([]byte{0, 0, 3, 1, 1, 1, 0, 0, 0, 2, 3, 31}, strings.Repeat("ä", 15)+"!"...), append([]byte{0, 2, 3, 31}, strings.Repeat("z", 31)...)...),
	// four agent utterances on g1, g2, g3 and an unnamed stream, one more
	// than fuzzMaxSegments: the first goes; then g1 again, a new segment.
	boundSeed(),
}

func boundSeed() []byte {
	var b []byte
	say := func(stream, segment byte) {
		b = append(b, 0, 0, stream, segment, 1, 1, 0, 0) // open, agent
		b = append(b, 0, 2, stream, 2, 'h', 'i')         // append "hi"
		b = append(b, 0, 4, stream, 0)                   // close
	}
	say(0, 1)
	say(1, 2)
	say(2, 3)
	say(3, 0)
	say(0, 1)
	return append(b, 0, 7)
}
