package scenario

import (
	"regexp"
	"time"
)

// DefaultTimeout bounds a call whose scenario sets no timeout, so that an
// agent that never hangs up cannot hold a test run forever.
const DefaultTimeout = 2 * time.Minute

// Scenario is one scripted call, as loaded from its file.
type Scenario struct {
	// Path is the file as it was given (joined to its directory when a
	// directory was given), for reports and error messages.
	Path string
	// Name defaults to the file's name without its extension.
	Name string
	// Line is where the document begins.
	Line int

	Connection Connection
	// Timeout is the deadline for the whole call; DefaultTimeout when the
	// file sets none. TimeoutLine is its key's line, or zero.
	Timeout     time.Duration
	TimeoutLine int
	// Greeting, when set, says the agent speaks first and what is
	// expected of that; nil when the file has no greeting key.
	Greeting *Expect
	Turns    []Turn
	Expect   CallExpect
}

// Turn is one step of the script. Exactly one of Say, Text, Chat and
// Silence is set.
type Turn struct {
	// Index is the 0-based position in Scenario.Turns; Line is where the
	// turn begins in the file.
	Index int
	Line  int
	// Name defaults to "turn N", N being Index+1.
	Name string
	// Say is an audio file, resolved against the scenario file's
	// directory and known to exist when Load returned.
	Say string
	// Text is synthesised by the runner in Voice (empty: the
	// synthesiser's default voice).
	Text  string
	Voice string
	// Chat is sent as a typed message.
	Chat    string
	Silence time.Duration
	// BargeIn, when set, starts the turn this long after the agent's
	// previous reply became audible: the user interrupts. Only with Say
	// or Text.
	BargeIn *time.Duration
	Expect  Expect
}

// Kind names what the turn does: say, text, chat or silence.
func (t *Turn) Kind() string {
	switch {
	case t.Say != "":
		return "say"
	case t.Text != "":
		return "text"
	case t.Chat != "":
		return "chat"
	default:
		return "silence"
	}
}

// Said is what the user said, for a report: the text of a spoken or typed
// turn, the audio file's name, or the silence's length.
func (t *Turn) Said() string {
	switch t.Kind() {
	case "say":
		return t.Say
	case "text":
		return t.Text
	case "chat":
		return t.Chat
	default:
		return "(silence " + formatDuration(t.Silence) + ")"
	}
}

// Expect is what a turn's reply (or the greeting) must be. A zero field is
// not checked.
type Expect struct {
	// Reply: true, the agent must reply; false, it must stay quiet; nil,
	// either will do (the default for silence only).
	Reply *bool
	// Contains are case-insensitive substrings of the reply, with runs of
	// white space compared as one space.
	Contains []string
	// Matches and NotMatches are regular expressions on the reply, Heard
	// on the user's transcript as the agent sent it back (the message, for
	// a chat turn). All are case-insensitive unless they say (?-i).
	Matches    *Pattern
	NotMatches *Pattern
	Heard      *Pattern
	// MaxLatency bounds the end of the user's speech to the agent's first
	// audible audio; MaxGap the dead air inside the reply; MaxStop how long
	// the agent talks over a user who barges in.
	MaxLatency time.Duration
	MaxGap     time.Duration
	MaxStop    time.Duration
	// Timeout is how long to wait for the reply; zero leaves it to the
	// runner.
	Timeout time.Duration

	// Line is where the expectations begin: the expect key, or the turn
	// when it has none. Lines holds the line of each key given, by its
	// name in the file (reply, contains, ...), and ContainsLines the line
	// of each Contains entry, so a report can point at the exact line.
	Line          int
	Lines         map[string]int
	ContainsLines []int

	// cols are the keys' columns, for the loader's own checks only.
	cols map[string]int
}

// Pattern is a regular expression with the text it was written as, which
// is what a person recognises in a report.
type Pattern struct {
	Source string
	Regexp *regexp.Regexp
}

// CallExpect is what the whole call must show.
type CallExpect struct {
	// States must appear in this order among the agent's states: a
	// subsequence, so states in between do not matter.
	States []string
	// AgentTurns bounds how many times the agent began to speak; nil is
	// unchecked.
	AgentTurns *Range
	Lines      map[string]int
}

// Range is an inclusive bound on a count. Max < 0 means no upper bound.
type Range struct {
	Min, Max int
}
