package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// callOptions holds everything `webcall call` was told, plus its streams.
type callOptions struct {
	io      *streams
	creds   credentialOptions
	devices deviceOptions

	input   string
	text    bool
	say     []string
	output  string
	record  string
	format  string
	quiet   bool
	verbose int

	// transcripts are the --transcript files (see transcript.go).
	transcripts []string

	waitAgent      time.Duration
	maxDuration    time.Duration
	connectTimeout time.Duration
	replyTimeout   time.Duration
	replyIdle      time.Duration
	reconnect      reconnectOptions
}

// newCallCmd builds `webcall call`. runF replaces the run function in tests
// that check flag parsing alone.
func newCallCmd(s *streams, runF func(context.Context, *callOptions) error) *cobra.Command {
	o := &callOptions{io: s}
	cmd := &cobra.Command{
		Use:   "call",
		Short: "Call a voice agent: speak, listen, and print the live transcript",
		Long: strings.TrimSpace(`
Join the agent's LiveKit room, send your audio as a microphone track, take
the agent's audio, and print what both sides say.

Credentials, four ways:
  --url and --token            a token your backend issued
  --url, --api-key/--api-secret  mint one here; --agent-name dispatches a
                               named agent into a fresh room
  --token-endpoint URL         ask your own backend (it keeps the keys)
  --provider hms               create the call through the HMS Sovereign
                               web-call API (key in HMS_API_KEY)
The LIVEKIT_* environment variables fill in what the flags leave out.

With --input FILE the call is scripted: webcall waits for the agent to be
ready, sends the file in real time (with a little silence before and after),
waits for the agent's reply to finish, and hangs up. Ctrl-C hangs up at any
time; output files are always left complete and playable.

Typing: on a terminal, during a call through the microphone, m mutes and
Ctrl-T switches to typing a message (as in LiveKit Agents' console):
Enter sends it to the agent on the lk.chat topic, which agents take as
your turn; Backspace, Ctrl-W and Ctrl-U edit; Esc or Ctrl-T go back to the
m key.

--text makes the call text only: nothing is published or played, no audio
device is opened and the agent's audio is not even received. You type
lines on the terminal; without one, each line of stdin is a message and
the call ends after the reply to the last one. The agent's replies come as
its transcript (LiveKit Agents answer text on lk.transcription, with or
without speech) and as chat messages, if it sends any.

--say TEXT (repeatable) scripts typed messages: each is sent once the
agent has replied to the one before, and the call ends after the last
reply. With --input FILE the file is said first; without, only text goes
out (add --text to receive no audio either).

Transcript: one line per finished sentence on stdout, "you: ..." and
"agent: ...". On a terminal, text still being spoken is shown and rewritten
in place. --format json prints one JSON event per line instead (see the
README for the schema). Progress goes to stderr; --quiet silences it.`),
		Example: strings.Trim(`
  # Say a bundled file to the agent "demo-agent" on a local server (as make demo does)
  webcall call --url ws://127.0.0.1:7880 --api-key devkey --api-secret secret \
      --agent-name demo-agent --input testdata/audio/hello.wav

  # Talk through the microphone, with a token your backend issued
  LIVEKIT_URL=wss://my-project.livekit.cloud LIVEKIT_TOKEN=... webcall call

  # Keep the agent's reply, and the whole call as stereo (you left, the agent right)
  webcall call --input testdata/audio/question.wav --output reply.wav --record call.wav

  # Ask your backend for the token; its auth header read from a file
  webcall call --token-endpoint https://example.com/api/token -H @headers.txt --agent-name support

  # An HMS Sovereign assistant, key in HMS_API_KEY
  webcall call --provider hms --assistant-id 17a0cb75-fa09-4bdd-9a44-92a70d829c88

  # The final sentences as JSON, for a script
  webcall call --input testdata/audio/hello.wav --format json | jq -r 'select(.type == "transcript" and .final) | .text'

  # A text conversation, scripted, as JSON events
  webcall call --text --say "Do you have a table for two tonight?" --say "At eight, please." --format json

  # One message per line of a file; the call ends after the last reply
  webcall call --text < questions.txt

  # A scripted call that joins again if the connection is lost (as microphone calls do), at most 3 times
  webcall call --input testdata/audio/hello.wav --reconnect --reconnect-attempts 3

  # Say a file, then type a follow-up message
  webcall call --input testdata/audio/hello.wav --say "And could we sit by the window?"`, "\n"),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			e := failure.Newf(failure.Usage, "unexpected argument %q: webcall call takes only flags", args[0])
			if strings.HasSuffix(strings.ToLower(args[0]), ".wav") {
				e.Hint = "to speak a file to the agent, use --input " + args[0]
			}
			return e
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.reconnect.set = cmd.Flags().Changed("reconnect")
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runCall(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	addCredentialFlags(fs, &o.creds)
	addCAFileFlag(cmd)
	fs.StringVarP(&o.input, "input", "i", "", "audio file to say to the agent (WAV, FLAC, Ogg Opus/Vorbis or MP3; resampled to 48 kHz mono and sent in real time), or \"mic\" (the default) to talk through the microphone")
	fs.BoolVar(&o.text, "text", false, "a text-only call: type messages (or pipe them, one per line, or --say them); nothing is published, played or recorded")
	fs.StringArrayVar(&o.say, "say", nil, "send `TEXT` to the agent as a typed chat message once it has replied to what came before; repeatable, after --input if given")
	fs.StringVarP(&o.output, "output", "o", "", "write the agent's audio, as received, to this WAV file (48 kHz mono), or \"speaker\" (the default) to play it")
	fs.StringVar(&o.record, "record", "", "record the whole call to this stereo WAV file: you on the left, the agent on the right, on one timeline")
	fs.StringArrayVar(&o.transcripts, "transcript", nil, "write the whole conversation to this `FILE` when the call ends, in the format its extension names: .json (segments with times, chat, the call's details), .txt (lines for people) or .vtt (WebVTT captions that line up with --record); repeat for several")
	addDeviceFlags(fs, &o.devices)
	fs.StringVarP(&o.format, "format", "f", "text", `transcript format on stdout: "text" (one line per final segment) or "json" (JSON Lines events)`)
	fs.DurationVar(&o.waitAgent, "wait-agent", call.DefaultTiming.WaitAgent, "how long to wait for an agent to join after connecting")
	fs.DurationVar(&o.maxDuration, "max-duration", 0, "hang up after this long whatever happens (0: no limit)")
	fs.DurationVar(&o.connectTimeout, "connect-timeout", call.DefaultTiming.ConnectTimeout, "give up connecting to the server after this long")
	fs.DurationVar(&o.replyTimeout, "reply-timeout", call.DefaultTiming.ReplyTimeout, "with --input: fail if the agent has not started replying this long after the input ends")
	fs.DurationVar(&o.replyIdle, "reply-idle", call.DefaultTiming.ReplyIdle, "with --input: the agent's reply is over after this much silence from it")
	addReconnectFlags(fs, &o.reconnect)
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print no progress on stderr (errors still are)")
	fs.CountVarP(&o.verbose, "verbose", "v", "log more on stderr: -v for webcall's decisions, -vv for the LiveKit SDK's debug logs")
	return cmd
}

func runCall(ctx context.Context, o *callOptions) error {
	s := o.io
	start := time.Now() // time zero of the call's events
	// Check everything that can be checked before connecting, so that a
	// mistake costs nothing and leaves nothing behind.
	if o.format != "text" && o.format != "json" {
		return failure.Newf(failure.Usage, "unknown --format %q", o.format).WithHint(`use "text" or "json"`)
	}
	if err := o.checkText(); err != nil {
		return err
	}
	// The audio input: the microphone unless a file or text is said.
	audioInput := o.input
	if o.text || (len(o.say) > 0 && o.input == "") {
		audioInput = noAudioInput
	}
	if err := o.devices.check(audioInput, o.output); err != nil {
		return err
	}
	if err := checkTranscriptFiles(o.transcripts); err != nil {
		return err
	}
	for name, d := range map[string]time.Duration{"--wait-agent": o.waitAgent, "--connect-timeout": o.connectTimeout, "--reply-timeout": o.replyTimeout, "--reply-idle": o.replyIdle, "--max-duration": o.maxDuration} {
		if d < 0 {
			return failure.Newf(failure.Usage, "%s must not be negative (got %s)", name, d)
		}
	}
	reconnect, err := o.reconnect.policy(usesMic(audioInput))
	if err != nil {
		return err
	}
	src, err := o.creds.source(s.Getenv, s.ErrOut)
	if err != nil {
		return err
	}
	var clip *audio.Clip
	if !usesMic(audioInput) && audioInput != noAudioInput {
		if clip, err = audio.LoadFile(o.input); err != nil {
			return err
		}
	}

	var outputs []*audio.WAVWriter
	// A call that never connected leaves no files behind; one that did
	// keeps everything it received, whatever ended it.
	connected := false
	defer func() {
		for _, w := range outputs {
			if connected {
				_ = w.Close()
			} else {
				_ = w.Abort()
			}
		}
	}()
	var agentOut audio.Sink
	if !usesSpeaker(o.output) && !o.text {
		w, err := audio.CreateWAV(o.output, audio.SampleRate, 1)
		if err != nil {
			return err
		}
		outputs = append(outputs, w)
		agentOut = w
	}
	var rec *audio.Recorder
	if o.record != "" {
		w, err := audio.CreateWAV(o.record, audio.SampleRate, 2)
		if err != nil {
			return err
		}
		outputs = append(outputs, w)
		rec = audio.NewRecorder(w)
	}

	render, err := newRenderer(o, start)
	if err != nil {
		return err
	}
	// The call's events, the mute key's and the devices' warnings come
	// from three goroutines, and a device's last warning can come while
	// the call's error is being written or the renderer closed: every use
	// of render takes renderMu.
	var renderMu sync.Mutex
	defer func() {
		renderMu.Lock()
		defer renderMu.Unlock()
		render.Close()
	}()
	status := newStatus(s, o.quiet, render)

	show := func(e event.Event) {
		renderMu.Lock()
		defer renderMu.Unlock()
		if rerr := render.Render(e); rerr != nil {
			status.log(fmt.Sprintf("cannot write the transcript: %v", rerr))
		}
		_ = s.flushOut()
	}
	warn := func(kind, msg string) {
		status.warning(event.Event{Type: event.Warning, TimeMS: time.Since(start).Milliseconds(), Kind: kind, Message: msg}, show)
	}

	// The microphone and speaker (deviceflags.go), opened before
	// connecting so that a missing device costs nothing. A text call
	// opens none.
	aud, callCtx := &callAudio{}, ctx
	if !o.text {
		aud, callCtx, err = o.devices.openAudio(ctx, audioInput, o.output, agentOut, deviceLogger(s, o.verbose), status.print, warn)
		if err != nil {
			return err
		}
	}
	defer aud.Close()

	// On a terminal: the m key mutes the microphone and Ctrl-T types a
	// message (keys.go), and a row below the transcript shows the levels
	// and the call's state (livearea.go). A text call without a terminal
	// reads its messages from stdin.
	var chat chan string
	keys := keysConfig{gate: aud.Gate, textOnly: o.text, status: status.print, muted: func(muted bool) {
		state := event.MuteOff
		if muted {
			state = event.MuteOn
		}
		show(event.Event{Type: event.Mute, TimeMS: time.Since(start).Milliseconds(), State: state})
	}}
	if len(o.say) == 0 && (o.text || aud.Gate != nil) {
		chat = make(chan string)
		keys.chat = chat
	}
	if in, ok := render.(inputShower); ok {
		keys.show = func(line string) error {
			renderMu.Lock()
			defer renderMu.Unlock()
			return in.SetInput(line)
		}
	}
	stopKeys := func() {}
	switch {
	case o.text && chat != nil && !isTerminal(s.In):
		stopKeys = startChatLines(s.In, chat)
	default:
		stopKeys = startKeys(s, keys)
	}
	defer stopKeys()
	input, output, stopLive := startLiveArea(o, render, aud, func() time.Duration { return time.Since(start) })
	defer stopLive()

	opts := call.Options{
		Credentials: src,
		Input:       input,
		File:        clip,
		Text:        o.text,
		Output:      output,
		Recorder:    rec,
		Events: func(e event.Event) {
			switch e.Type {
			case event.Connected:
				connected = true
			case event.Warning:
				status.warning(e, show)
				return
			}
			show(e)
		},
		Status: status.print,
		OnCredentials: func(c token.Credentials) {
			redact.Add(c.Token)
		},
		Timing: call.Timing{
			ConnectTimeout: o.connectTimeout,
			WaitAgent:      o.waitAgent,
			MaxDuration:    o.maxDuration,
			ReplyTimeout:   o.replyTimeout,
			ReplyIdle:      o.replyIdle,
			RecoverTimeout: o.reconnect.recoverTimeout,
		},
		Reconnect: reconnect,
		Logger:    sdkLogger(s, o.verbose),
		Start:     start,
	}
	if chat != nil {
		opts.Chat = chat
		// Lines from a pipe are a script: each waits for its reply.
		opts.ChatTurns = o.text && !isTerminal(s.In)
	}
	if len(o.say) > 0 {
		// The file (if any), then the messages, as scripted turns.
		if clip != nil {
			opts.Turns = append(opts.Turns, call.Turn{Say: clip})
			opts.File = nil
		}
		for _, line := range o.say {
			opts.Turns = append(opts.Turns, call.Turn{Chat: line})
		}
	}
	res, err := call.Run(callCtx, opts)
	stopKeys()
	stopLive()
	// The devices close before anything is said of the call's end (the
	// deferred Close is then a no-op): a device warning from a stream
	// restart still under way must come before the error event, which is
	// a JSON reader's last line.
	aud.Close()
	err = aud.result(err)
	if connected {
		for _, w := range outputs {
			if cerr := w.Close(); cerr != nil {
				status.log(fmt.Sprintf("cannot finish %s: %v", w.Path(), cerr))
				continue
			}
			status.print(fmt.Sprintf("wrote %s (%s)", w.Path(), w.Duration().Round(10*time.Millisecond)))
		}
	}
	err = bySignal(ctx, err)
	if connected {
		writeTranscriptFiles(o.transcripts, res, err, status)
	}
	if err != nil {
		if render, ok := render.(transcript.ErrorRenderer); ok {
			renderMu.Lock()
			render.Error(err, exitCode(err))
			renderMu.Unlock()
		}
		return err
	}
	if err := unanswered(res); err != nil {
		return err
	}
	status.print(fmt.Sprintf("call ended: %s", res.Reason))
	return nil
}

// noAudioInput is the audio input of a call that sends no audio: only
// text (--text, or --say alone).
const noAudioInput = "(no audio)"

// checkText rejects what a text call or scripted messages cannot do,
// before anything is opened.
func (o *callOptions) checkText() error {
	for i, line := range o.say {
		if strings.TrimSpace(line) == "" {
			return failure.Newf(failure.Usage, "--say number %d is empty", i+1).WithHint("give each --say the text of a message")
		}
	}
	if len(o.say) > 0 && o.input == inputMic {
		return failure.New(failure.Usage, "--say cannot follow --input mic").
			WithHint("--say scripts a call: give --input a file to say first, or leave --input out to send only the messages")
	}
	if !o.text {
		return nil
	}
	for _, c := range []struct {
		set  bool
		flag string
	}{
		{o.input != "", "--input"},
		{o.output != "", "--output"},
		{o.record != "", "--record"},
		{o.devices.inputDevice != "", "--input-device"},
		{o.devices.outputDevice != "", "--output-device"},
		{o.devices.muted, "--muted"},
		{o.devices.halfDuplex, "--half-duplex"},
		{o.devices.noAEC, "--no-aec"},
	} {
		if c.set {
			return failure.Newf(failure.Usage, "--text takes no audio, so %s does not apply", c.flag).
				WithHint("drop " + c.flag + " for a text-only call, or drop --text to talk (and type with Ctrl-T on a terminal)")
		}
	}
	return nil
}

// unanswered fails a scripted call (--say) whose agent did not answer a
// turn within the reply timeout, as a call with --input alone does.
func unanswered(res call.Result) error {
	for _, t := range res.Turns {
		if t.TimedOut {
			return failure.Newf(failure.Check, "the agent did not reply to turn %d (%s) in time", t.Index+1, t.Kind).
				WithHint("check the agent's logs, and that it takes text input on lk.chat; --reply-timeout allows more time")
		}
	}
	return nil
}
