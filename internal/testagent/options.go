package testagent

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// Defaults for Options left empty.
const (
	DefaultAgentName      = "test-agent"
	DefaultHeard          = "Hello, I would like to book a table for two tonight."
	DefaultReplyDelay     = 300 * time.Millisecond
	DefaultSilenceTimeout = 600 * time.Millisecond
	DefaultMaxJobs        = 20
	// DefaultInterruptAfter is LiveKit Agents' min_interruption_duration.
	DefaultInterruptAfter = 500 * time.Millisecond
)

// How the agent hears and paces, fixed: these are what a real agent's VAD
// and STT do, not knobs a test needs.
const (
	// speechStartAfter is how long a frame run must be loud to be speech.
	speechStartAfter = 100 * time.Millisecond
	// interimEvery is how often an interim transcript goes out while the
	// user speaks.
	interimEvery = 300 * time.Millisecond
	// replyTextDelay is how long after its audio starts the reply's text
	// stream opens, as observed from a Node 1.9 agent.
	replyTextDelay = 130 * time.Millisecond
	// textChunkEvery is the pace of a text-only reply's words: a
	// language model's stream, not speech.
	textChunkEvery = 30 * time.Millisecond
)

// Options configure the agent. URL, APIKey, APISecret and ReplyWAV (or
// Replies) are required; everything else has a default.
type Options struct {
	// URL is the LiveKit server (ws:// or http://; wss:// or https://).
	URL       string
	APIKey    string
	APISecret string
	// AgentName is the name the worker registers under; only rooms whose
	// token (or an explicit dispatch) names it get this agent.
	AgentName string

	// Heard is the script of what the user says: utterance i is taken to
	// have said Heard[i mod len(Heard)]. There is no speech recognition.
	Heard []string
	// ReplyWAV is the audio of every reply; ReplyText is what it says, sent
	// as the reply's transcript (empty: no reply text).
	ReplyWAV  string
	ReplyText string
	// Replies, when set, replace ReplyWAV and ReplyText with a script. A
	// turn (an utterance or a chat message) is answered by the first
	// Reply whose When occurs in what the user said or typed, ignoring
	// case; failing that, by the next of the Replies without a When, in
	// turn (by all of them in turn if every one has a When). Without any
	// When, reply i is Replies[i mod len(Replies)].
	Replies []Reply
	// GreetWAV, when set, is said (with GreetText) as soon as the user's
	// microphone track arrives, before the user speaks.
	GreetWAV  string
	GreetText string

	// ReplyDelay is the time spent "thinking" between the end of an
	// utterance and the reply.
	ReplyDelay time.Duration
	// SilenceTimeout is how long the user must be quiet for an utterance
	// to end.
	SilenceTimeout time.Duration
	// InterruptAfter is how much voiced audio of an utterance (counted
	// from its first voiced frame, and never less than it takes to start
	// an utterance, 100 ms) interrupts the agent while it speaks; zero is
	// DefaultInterruptAfter and a negative value lets nothing interrupt.
	// A chat message interrupts at once unless interruption is off.
	InterruptAfter time.Duration

	// OnFact, if set, is told the ground truth of each turn as it
	// happens (see Fact). It is called on the agent's own goroutines,
	// from several at once (one room's loop and its reply, other rooms),
	// and must return at once; a test typically appends to a slice under
	// a mutex.
	OnFact func(Fact)

	// Misbehaviours of older or differently configured agents, for tests.
	//
	// LegacyOnly sends captions only as legacy Transcription packets, no
	// text streams.
	LegacyOnly bool
	// OmitSegmentID leaves lk.segment_id off every text stream.
	OmitSegmentID bool
	// NeverCloseReply leaves every reply text stream open.
	NeverCloseReply bool
	// JSONTranscripts sends the user's transcription chunks as JSON
	// objects, one per line, with text and timing fields.
	JSONTranscripts bool

	// TextOnly is a session whose audio output is off, as LiveKit Agents'
	// RoomOutputOptions(audio_enabled=False): the agent publishes no
	// track and each reply is text only, one lk.transcription stream
	// with lk.segment_id and lk.transcription_final "false" but no
	// lk.transcribed_track_id (there is no track), written word by word
	// as fast as a language model streams it (textChunkEvery) and closed
	// with a trailer that sets lk.transcription_final "true"; no legacy
	// packet (Python agents send those only for a track). It still hears
	// a user's microphone, if there is one.
	TextOnly bool
	// ChatReplies also sends the text of each finished reply to a chat
	// message back on lk.chat, as one stream: what some custom agents
	// do. LiveKit Agents 1.x answer chat on lk.transcription only.
	ChatReplies bool
	// MaxJobs is how many rooms the agent serves at once; its reported
	// load is the share of that in use.
	MaxJobs int
	// Logger receives what the agent does; nil discards it.
	Logger *slog.Logger
}

// Reply is one thing the agent says: speech audio and its transcript, and
// optionally what it answers.
type Reply struct {
	WAV  string
	Text string
	// When, if not empty, makes this the reply to any turn whose heard
	// (scripted) or typed text contains it, ignoring case.
	When string
}

// speech is a Reply loaded.
type speech struct {
	clip *audio.Clip
	text string
	when string // lower case
}

// prepared is Options checked, defaulted and with the audio loaded.
type prepared struct {
	Options
	replies []speech
	// fallback are the indices of the replies said in turn when no When
	// matches: those without a When, or all if every one has one.
	fallback []int
	greet    *speech // nil: no greeting
}

// replyTo picks the reply to a turn whose text is heard; *cycle counts the
// fallback replies said so far in the session.
func (p *prepared) replyTo(heard string, cycle *int) speech {
	lower := strings.ToLower(heard)
	for _, r := range p.replies {
		if r.when != "" && strings.Contains(lower, r.when) {
			return r
		}
	}
	r := p.replies[p.fallback[*cycle%len(p.fallback)]]
	*cycle++
	return r
}

func (o Options) prepare() (*prepared, error) {
	if o.URL == "" {
		return nil, errors.New("test agent: no server URL")
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("test agent: server URL %q is not a URL", o.URL)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return nil, fmt.Errorf("test agent: server URL %q must start with ws://, wss://, http:// or https://", o.URL)
	}
	if o.APIKey == "" || o.APISecret == "" {
		return nil, errors.New("test agent: an API key and secret are needed to register as a worker")
	}
	if len(o.Replies) == 0 {
		if o.ReplyWAV == "" {
			return nil, errors.New("test agent: no reply audio (ReplyWAV)")
		}
		o.Replies = []Reply{{WAV: o.ReplyWAV, Text: o.ReplyText}}
	}
	if o.AgentName == "" {
		o.AgentName = DefaultAgentName
	}
	o.Heard = nonBlank(o.Heard)
	if len(o.Heard) == 0 {
		o.Heard = []string{DefaultHeard}
	}
	if o.ReplyDelay <= 0 {
		o.ReplyDelay = DefaultReplyDelay
	}
	if o.SilenceTimeout <= 0 {
		o.SilenceTimeout = DefaultSilenceTimeout
	}
	if o.InterruptAfter == 0 {
		o.InterruptAfter = DefaultInterruptAfter
	}
	if o.MaxJobs <= 0 {
		o.MaxJobs = DefaultMaxJobs
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	p := &prepared{Options: o}
	for i, r := range o.Replies {
		sp, err := loadSpeech(r, fmt.Sprintf("reply %d", i+1))
		if err != nil {
			return nil, err
		}
		p.replies = append(p.replies, sp)
		if sp.when == "" {
			p.fallback = append(p.fallback, i)
		}
	}
	if len(p.fallback) == 0 {
		for i := range p.replies {
			p.fallback = append(p.fallback, i)
		}
	}
	if o.GreetWAV != "" {
		sp, err := loadSpeech(Reply{WAV: o.GreetWAV, Text: o.GreetText}, "greeting")
		if err != nil {
			return nil, err
		}
		p.greet = &sp
	}
	return p, nil
}

func loadSpeech(r Reply, what string) (speech, error) {
	if r.WAV == "" {
		return speech{}, fmt.Errorf("test agent: no audio for the %s", what)
	}
	c, err := audio.LoadFile(r.WAV)
	if err != nil {
		return speech{}, fmt.Errorf("test agent: load the %s audio: %w", what, err)
	}
	if len(c.Samples) == 0 {
		return speech{}, fmt.Errorf("test agent: the %s audio %s holds no samples", what, r.WAV)
	}
	return speech{clip: c, text: r.Text, when: strings.ToLower(r.When)}, nil
}

func nonBlank(ss []string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// workerURL is the server's agent endpoint for a server URL.
func workerURL(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("parse server URL: %w", err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/agent"
	u.RawQuery = ""
	return u.String(), nil
}
