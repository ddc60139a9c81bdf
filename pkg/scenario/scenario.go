package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

var (
	topKeys      = []string{"name", "connection", "timeout", "greeting", "turns", "expect"}
	turnKeys     = []string{"name", "say", "text", "voice", "chat", "silence", "barge_in", "expect"}
	actionKeys   = []string{"say", "text", "chat", "silence"}
	turnExpKeys  = []string{"reply", "contains", "matches", "not_matches", "heard", "max_latency", "max_gap", "max_stop", "timeout"}
	greetingKeys = []string{"expect"}
	// The greeting has no user speech to measure from, nothing heard and
	// nothing to interrupt.
	greetExpKeys = []string{"reply", "contains", "matches", "not_matches", "max_gap", "timeout"}
	callExpKeys  = []string{"states", "agent_turns"}
	rangeKeys    = []string{"min", "max"}
)

func (d *decoder) scenario(root ast.Node) *Scenario {
	line, _ := position(root)
	base := filepath.Base(d.file)
	s := &Scenario{
		Path:    d.file,
		Name:    strings.TrimSuffix(base, filepath.Ext(base)),
		Line:    line,
		Timeout: DefaultTimeout,
	}
	entries, ok := d.mapping(root, "", topKeys)
	if !ok {
		return s
	}
	var turnsNode ast.Node
	haveTurns := false
	for _, e := range entries {
		switch e.key {
		case "name":
			if v, ok := d.nonEmpty(e.value, e.key, "a name"); ok {
				s.Name = v
			}
		case "connection":
			d.connection(e.value, e.key, &s.Connection)
		case "timeout":
			if v, ok := d.positiveDuration(e.value, e.key); ok {
				s.Timeout = v
			}
			s.TimeoutLine = e.line
		case "greeting":
			s.Greeting = d.greeting(e)
		case "turns":
			turnsNode, haveTurns = e.value, true
		case "expect":
			s.Expect = d.callExpect(e)
		}
	}
	if !haveTurns {
		d.failAt(line, 1, "turns", "a scenario needs turns: a list of what the user says, types or leaves silent")
		return s
	}
	s.Turns = d.turns(turnsNode, s.Greeting)
	return s
}

func (d *decoder) greeting(e entry) *Expect {
	x := &Expect{Line: e.line, Lines: map[string]int{}}
	entries, _ := d.mapping(e.value, "greeting", greetingKeys)
	for _, ge := range entries {
		*x = d.expect(ge, "greeting.expect", greetExpKeys)
	}
	if x.Reply == nil {
		x.Reply = ptr(true)
	}
	d.checkReplyConflicts(x, "greeting.expect")
	x.cols = nil
	return x
}

func ptr[T any](v T) *T { return &v }

func (d *decoder) turns(n ast.Node, greeting *Expect) []Turn {
	n = d.resolve(n)
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.fail(n, "turns", "expected a list of turns, got %s", describe(n))
		return nil
	}
	if len(seq.Values) == 0 {
		d.fail(n, "turns", "expected a list of turns, got an empty list: a scenario needs at least one turn")
		return nil
	}
	turns := make([]Turn, 0, len(seq.Values))
	for i, v := range seq.Values {
		prev := greeting
		if i > 0 {
			prev = &turns[i-1].Expect
		}
		turns = append(turns, d.turn(i, v, prev))
	}
	return turns
}

// turn decodes turns[i]; prev is what was expected of the reply before it
// (the greeting's, for the first turn, or nil), which a barge-in needs.
func (d *decoder) turn(i int, n ast.Node, prev *Expect) Turn {
	field := fmt.Sprintf("turns[%d]", i)
	n = d.resolve(n)
	line, col := position(n)
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 {
		line, col = position(m.Values[0].Key)
	}
	t := Turn{Index: i, Line: line, Name: fmt.Sprintf("turn %d", i+1)}
	entries, ok := d.mapping(n, field, turnKeys)
	if !ok {
		return t
	}
	var action, voice, bargeIn *entry
	var expectEntry *entry
	for k := range entries {
		e := &entries[k]
		f := join(field, e.key)
		switch e.key {
		case "name":
			if v, ok := d.nonEmpty(e.value, f, "a name"); ok {
				t.Name = v
			}
		case "say", "text", "chat", "silence":
			if action != nil {
				d.fail(e.keyN, f, "a turn does one thing, but this one has both %s (line %d) and %s: split it into two turns", action.key, action.line, e.key)
				continue
			}
			action = e
			d.action(e, f, &t)
		case "voice":
			voice = e
			if v, ok := d.nonEmpty(e.value, f, "an espeak-ng voice such as en-us"); ok {
				t.Voice = v
			}
		case "barge_in":
			bargeIn = e
			if v, ok := d.duration(e.value, f); ok {
				t.BargeIn = &v
			}
		case "expect":
			expectEntry = e
		}
	}
	if action == nil {
		d.failAt(line, col, field, "a turn needs one of %s", strings.Join(actionKeys, ", "))
	}
	if voice != nil && (action == nil || action.key != "text") {
		d.fail(voice.keyN, join(field, "voice"), "voice is for a text turn, which is synthesised; this turn has no text")
	}
	if bargeIn != nil && action != nil && action.key != "say" && action.key != "text" {
		d.fail(bargeIn.keyN, join(field, "barge_in"), "barge_in needs a spoken turn (say or text), not %s", action.key)
	} else if bargeIn != nil && prev != nil && prev.Reply != nil && !*prev.Reply {
		d.fail(bargeIn.keyN, join(field, "barge_in"), "barge_in interrupts the agent's previous reply, but the turn before expects no reply")
	} else if bargeIn != nil && prev == nil {
		d.fail(bargeIn.keyN, join(field, "barge_in"), "barge_in interrupts the agent's previous reply, but there is none before the first turn: add a greeting")
	}

	if expectEntry != nil {
		t.Expect = d.expect(*expectEntry, join(field, "expect"), turnExpKeys)
	} else {
		t.Expect = Expect{Line: t.Line, Lines: map[string]int{}}
	}
	if t.Expect.Reply == nil && action != nil && action.key != "silence" {
		t.Expect.Reply = ptr(true)
	}
	d.checkTurnExpect(&t, field, action, bargeIn != nil)
	t.Expect.cols = nil
	return t
}

func (d *decoder) action(e *entry, f string, t *Turn) {
	switch e.key {
	case "say":
		p, ok := d.nonEmpty(e.value, f, "an audio file")
		if ok {
			t.Say, _ = d.existingFile(e.value, f, p, "audio file")
		}
	case "text":
		t.Text, _ = d.nonEmpty(e.value, f, "the text to speak")
	case "chat":
		t.Chat, _ = d.nonEmpty(e.value, f, "the message to send")
	case "silence":
		t.Silence, _ = d.positiveDuration(e.value, f)
	}
}

// existingFile resolves p against the scenario's directory and checks
// that it is a file, so that a typo fails before any call is made.
func (d *decoder) existingFile(n ast.Node, field, p, what string) (string, bool) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(d.dir, p)
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		d.fail(d.resolve(n), field, "%s %s: %s (a relative path is taken from the scenario file's directory)", what, p, describeOSError(err))
		return "", false
	case fi.IsDir():
		d.fail(d.resolve(n), field, "%s %s is a directory, expected a file", what, p)
		return "", false
	}
	return p, true
}

func (d *decoder) expect(e entry, field string, known []string) Expect {
	x := Expect{Line: e.line, Lines: map[string]int{}, cols: map[string]int{}}
	entries, ok := d.mapping(e.value, field, known)
	if !ok {
		return x
	}
	for _, ee := range entries {
		f := join(field, ee.key)
		x.Lines[ee.key] = ee.line
		_, x.cols[ee.key] = position(ee.keyN)
		switch ee.key {
		case "reply":
			if v, ok := d.boolean(ee.value, f); ok {
				x.Reply = &v
			}
		case "contains":
			items, _ := d.strList(ee.value, f)
			for _, it := range items {
				x.Contains = append(x.Contains, it.value)
				x.ContainsLines = append(x.ContainsLines, it.line)
			}
		case "matches":
			x.Matches = d.pattern(ee.value, f)
		case "not_matches":
			x.NotMatches = d.pattern(ee.value, f)
		case "heard":
			x.Heard = d.pattern(ee.value, f)
		case "max_latency":
			x.MaxLatency, _ = d.positiveDuration(ee.value, f)
		case "max_gap":
			x.MaxGap, _ = d.positiveDuration(ee.value, f)
		case "max_stop":
			x.MaxStop, _ = d.positiveDuration(ee.value, f)
		case "timeout":
			x.Timeout, _ = d.positiveDuration(ee.value, f)
		}
	}
	return x
}

// pattern compiles a regular expression now, so a typo in one fails the
// load and not the call after it was made.
func (d *decoder) pattern(n ast.Node, field string) *Pattern {
	src, ok := d.nonEmpty(n, field, "a regular expression")
	if !ok {
		return nil
	}
	if _, err := regexp.Compile(src); err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "error parsing regexp: ")
		d.fail(d.resolve(n), field, "expected a Go regular expression (RE2 syntax), got %q: %s", src, msg)
		return nil
	}
	// Transcripts capitalise as they please; compare without case unless
	// the pattern asks for it with (?-i).
	return &Pattern{Source: src, Regexp: regexp.MustCompile("(?i)" + src)}
}

// needsReply are the expectations that judge a reply's text or timing.
var needsReply = []string{"contains", "matches", "not_matches", "max_latency", "max_gap"}

func (d *decoder) checkReplyConflicts(x *Expect, field string) {
	if x.Reply == nil || *x.Reply {
		return
	}
	for _, k := range needsReply {
		if line, ok := x.Lines[k]; ok {
			d.failAt(line, x.cols[k], join(field, k), "%s judges the agent's reply, but reply is false: drop one of them", k)
		}
	}
}

func (d *decoder) checkTurnExpect(t *Turn, field string, action *entry, bargeIn bool) {
	ef := join(field, "expect")
	d.checkReplyConflicts(&t.Expect, ef)
	if line, ok := t.Expect.Lines["max_stop"]; ok && !bargeIn {
		d.failAt(line, t.Expect.cols["max_stop"], join(ef, "max_stop"), "max_stop measures how fast the agent stops when interrupted: it needs barge_in on this turn")
	}
	if line, ok := t.Expect.Lines["heard"]; ok && action != nil && action.key == "silence" {
		d.failAt(line, t.Expect.cols["heard"], join(ef, "heard"), "heard is what the agent understood the user to say, but a silence turn says nothing")
	}
}

func (d *decoder) callExpect(e entry) CallExpect {
	x := CallExpect{Lines: map[string]int{}}
	entries, ok := d.mapping(e.value, "expect", callExpKeys)
	if !ok {
		return x
	}
	for _, ee := range entries {
		f := join("expect", ee.key)
		x.Lines[ee.key] = ee.line
		switch ee.key {
		case "states":
			items, _ := d.strList(ee.value, f)
			for _, it := range items {
				x.States = append(x.States, it.value)
			}
		case "agent_turns":
			x.AgentTurns = d.countRange(ee.value, f)
		}
	}
	return x
}

// countRange takes a number (exactly that many) or {min, max}.
func (d *decoder) countRange(n ast.Node, field string) *Range {
	n = d.resolve(n)
	if _, isInt := n.(*ast.IntegerNode); isInt {
		v, ok := d.count(n, field)
		if !ok {
			return nil
		}
		return &Range{Min: v, Max: v}
	}
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
	default:
		d.fail(n, field, "expected a number, or a range such as {min: 2, max: 4}, got %s", describe(n))
		return nil
	}
	entries, ok := d.mapping(n, field, rangeKeys)
	if !ok {
		return nil
	}
	r := &Range{Min: 0, Max: -1}
	given := false
	for _, e := range entries {
		v, ok := d.count(e.value, join(field, e.key))
		if !ok {
			continue
		}
		given = true
		if e.key == "min" {
			r.Min = v
		} else {
			r.Max = v
		}
	}
	if !given {
		d.fail(n, field, "expected min, max or both")
		return nil
	}
	if r.Max >= 0 && r.Max < r.Min {
		d.fail(n, field, "max (%d) is less than min (%d)", r.Max, r.Min)
		return nil
	}
	return r
}
