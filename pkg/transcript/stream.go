package transcript

import (
	"bytes"
	"encoding/json"
	"strings"
)

// payloadMode is how a stream's chunks are read. Some agents are set up to
// send each chunk as a JSON object plus newline, with the words in `text`
// and timing fields beside it; the rest send plain text.
type payloadMode int

const (
	// modeUndecided: nothing but whitespace yet, or a first line that
	// starts with '{' and has not ended.
	modeUndecided payloadMode = iota
	modePlain
	modeJSON
)

// stream is one open text stream: the text its chunks have made so far.
type stream struct {
	id           string
	seg          *segment
	seq          uint64
	closeIsFinal bool

	mode    payloadMode
	pending []byte // input not decoded yet: the start of a JSON line
	out     strings.Builder
	// limit bounds out and pending (MaxSegmentText unless a test sets
	// it): a stream that never ends must not grow without end.
	limit int
}

// jsonChunk is the part of a JSON payload line that is shown. Text is a
// pointer so that a line without it (timing only) is told apart from one
// that is not a payload at all.
type jsonChunk struct {
	Text *string `json:"text"`
}

// text is what the stream has said so far. strings.Builder only appends,
// so the strings handed out stay valid and are never copied.
func (st *stream) text() string { return st.out.String() }

func (st *stream) write(chunk string) {
	if st.mode == modePlain {
		st.add(chunk)
		return
	}
	if len(st.pending)+len(chunk) > st.limit {
		// A JSON line longer than any caption is no payload: its
		// text is kept as plain text, up to the limit.
		st.pending = append(st.pending, chunk[:min(len(chunk), st.limit)]...)
		st.plain()
		return
	}
	st.pending = append(st.pending, chunk...)
	if st.mode == modeUndecided {
		start := bytes.TrimLeft(st.pending, " \t\r\n")
		if len(start) == 0 {
			return
		}
		if start[0] != '{' {
			st.plain()
			return
		}
	}
	for {
		end := bytes.IndexByte(st.pending, '\n')
		if end < 0 {
			return
		}
		if !st.decodeLine(st.pending[:end+1]) {
			st.plain()
			return
		}
		st.pending = st.pending[end+1:]
	}
}

// finish decodes the last line, which needs no newline once the stream has
// closed.
func (st *stream) finish() {
	if st.mode == modePlain || len(bytes.TrimSpace(st.pending)) == 0 {
		st.pending = nil
		return
	}
	if !st.decodeLine(st.pending) {
		st.plain()
	}
	st.pending = nil
}

// decodeLine adds one line of a JSON payload to the text. It reports false
// when the stream turns out not to be JSON after all (its first line does
// not parse as a payload). Once a stream is known to be JSON, a line that
// does not parse is kept as it is, so no words are lost.
func (st *stream) decodeLine(line []byte) bool {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return true
	}
	var c jsonChunk
	err := json.Unmarshal(trimmed, &c)
	switch {
	case err == nil && c.Text != nil:
		st.mode = modeJSON
		st.add(*c.Text)
	case st.mode != modeJSON:
		return false
	case err != nil:
		st.add(string(line))
	}
	return true
}

// plain takes everything not decoded yet as text, and all later chunks.
func (st *stream) plain() {
	st.mode = modePlain
	st.add(string(st.pending))
	st.pending = nil
}

// add appends text up to the stream's limit, cut at a character boundary:
// what comes past the limit is dropped.
func (st *stream) add(text string) {
	room := st.limit - st.out.Len()
	if room <= 0 {
		return
	}
	st.out.WriteString(clipText(text, room))
}
