// Command testagent runs the test agent on its own, for the demo and for
// trying webcall by hand against a local server:
//
//	go run ./internal/testagent/cmd/testagent --url ws://127.0.0.1:7880 \
//	    --api-key devkey --api-secret secret --agent-name test-agent
//
// It registers as a worker and serves every room that dispatches it by
// name until SIGINT or SIGTERM. Once registered it prints "ready" on
// stdout, so a script can wait for it before starting a call (a room
// created earlier is not dispatched to it). Logs go to stderr; with
// --log-format json, one JSON object a line, whose times (first_audible_at,
// last_voiced_at, ...) keep their nanoseconds, for a program that holds a
// call's figures against the agent's (the text format rounds them to the
// millisecond).
//
// Replies are scripted with --reply-wav and --reply-text, and optionally
// --reply-when: a reply whose --reply-when (a case-insensitive substring)
// occurs in what the user said (--heard) or typed (lk.chat) answers that
// turn; give "" for a reply said in turn otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/testagent"
)

// defaultReplyText is what testdata/audio/reply.wav says.
const defaultReplyText = "Sure, I can help you with that. What time would you like?"

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("testagent", flag.ContinueOnError)
	var (
		o          testagent.Options
		heard      stringList
		replyWAVs  stringList
		replyTexts stringList
		replyWhens stringList
		verbose    bool
		logFormat  string
	)
	fs.StringVar(&o.URL, "url", os.Getenv("LIVEKIT_URL"), "LiveKit server URL (env LIVEKIT_URL)")
	fs.StringVar(&o.APIKey, "api-key", os.Getenv("LIVEKIT_API_KEY"), "API key (env LIVEKIT_API_KEY)")
	fs.StringVar(&o.APISecret, "api-secret", os.Getenv("LIVEKIT_API_SECRET"), "API secret (env LIVEKIT_API_SECRET)")
	fs.StringVar(&o.AgentName, "agent-name", testagent.DefaultAgentName, "name to register under; tokens dispatch the agent by it")
	fs.Var(&heard, "heard", "what the user is taken to say, one utterance per flag, used in turn (default \""+testagent.DefaultHeard+"\")")
	fs.Var(&replyWAVs, "reply-wav", "WAV file said as a reply; several are said in turn (default testdata/audio/reply.wav in the module)")
	fs.Var(&replyTexts, "reply-text", "transcript of the reply audio, one per --reply-wav (default: the words of the default reply)")
	fs.Var(&replyWhens, "reply-when", "the reply answers turns containing this text (any case), one per --reply-wav; \"\" for a reply said in turn")
	fs.StringVar(&o.GreetWAV, "greet-wav", "", "WAV file said when the user's microphone arrives (default: no greeting)")
	fs.StringVar(&o.GreetText, "greet-text", "", "transcript of the greeting")
	fs.DurationVar(&o.ReplyDelay, "reply-delay", testagent.DefaultReplyDelay, "time spent thinking before each reply")
	fs.DurationVar(&o.SilenceTimeout, "silence-timeout", testagent.DefaultSilenceTimeout, "silence that ends an utterance")
	fs.DurationVar(&o.InterruptAfter, "interrupt-after", testagent.DefaultInterruptAfter, "user speech that interrupts a reply; negative: no interruption")
	fs.BoolVar(&o.LegacyOnly, "legacy-only", false, "send captions only as legacy Transcription packets")
	fs.BoolVar(&o.OmitSegmentID, "omit-segment-id", false, "leave lk.segment_id off text streams")
	fs.BoolVar(&o.NeverCloseReply, "never-close-reply", false, "never close reply text streams")
	fs.BoolVar(&o.JSONTranscripts, "json-transcripts", false, "send the user's transcription as JSON lines")
	fs.BoolVar(&o.TextOnly, "text-only", false, "audio output off: publish no track and reply in text only")
	fs.BoolVar(&o.ChatReplies, "chat-replies", false, "also send each reply to a chat message back on lk.chat")
	fs.IntVar(&o.MaxJobs, "max-jobs", testagent.DefaultMaxJobs, "rooms served at once")
	fs.BoolVar(&verbose, "verbose", false, "log debug detail")
	fs.StringVar(&logFormat, "log-format", "text", "log format on stderr: text or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "testagent: unexpected arguments %q\n", fs.Args())
		return 2
	}
	o.Heard = heard

	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch logFormat {
	case "text":
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, hopts))
	case "json":
		o.Logger = slog.New(slog.NewJSONHandler(os.Stderr, hopts))
	default:
		fmt.Fprintf(os.Stderr, "testagent: --log-format %q: want text or json\n", logFormat)
		return 2
	}
	lksdk.SetLogger(testagent.SDKLogger(o.Logger))

	replies, err := replyScript(replyWAVs, replyTexts, replyWhens)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testagent:", err)
		return 2
	}
	o.Replies = replies

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := testagent.Start(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testagent:", err)
		return 1
	}
	o.Logger.Info("test agent ready; Ctrl-C stops it", "url", o.URL, "agent_name", o.AgentName)
	fmt.Println("ready")
	select {
	case <-ctx.Done():
	case <-a.Done():
	}
	a.Close()
	o.Logger.Info("test agent stopped")
	return 0
}

// replyScript pairs the --reply-wav, --reply-text and --reply-when flags;
// with neither of the first two, the agent says the bundled reply.
func replyScript(wavs, texts, whens []string) ([]testagent.Reply, error) {
	if len(whens) > 0 && len(whens) != max(len(wavs), 1) {
		return nil, fmt.Errorf("%d --reply-when for %d replies: give one per --reply-wav (\"\" for none)", len(whens), max(len(wavs), 1))
	}
	when := func(i int) string {
		if len(whens) == 0 {
			return ""
		}
		return whens[i]
	}
	switch {
	case len(wavs) == 0 && len(texts) > 1:
		return nil, errors.New("several --reply-text need as many --reply-wav")
	case len(wavs) == 0:
		p, err := moduleFile("testdata", "audio", "reply.wav")
		if err != nil {
			return nil, fmt.Errorf("%w; pass --reply-wav", err)
		}
		text := defaultReplyText
		if len(texts) == 1 {
			text = texts[0]
		}
		return []testagent.Reply{{WAV: p, Text: text, When: when(0)}}, nil
	case len(texts) != len(wavs):
		return nil, fmt.Errorf("%d --reply-wav but %d --reply-text: give each reply its transcript", len(wavs), len(texts))
	}
	replies := make([]testagent.Reply, len(wavs))
	for i := range wavs {
		replies[i] = testagent.Reply{WAV: wavs[i], Text: texts[i], When: when(i)}
	}
	return replies, nil
}

// moduleFile finds a file of this module by walking up from the working
// directory to go.mod.
func moduleFile(parts ...string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(append([]string{dir}, parts...)...), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s to find %s in", dir, filepath.Join(parts...))
		}
		dir = parent
	}
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " | ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }
