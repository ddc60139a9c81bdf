// Package suite runs scripted calls: the scenarios of `webcall test`, each
// as many times as asked, several at once, or one shard of them, and
// judges every turn into a report.Report.
//
// From a scenario to a verdict:
//
//	Run          prepares every turn's audio before anything connects
//	 └ work      the calls, in a fixed order (scenario, then repetition),
//	             and the shard of them this process runs
//	 └ runCall   one call.Run with the scenario's turns; then
//	             scenario.Turn.Judge on each call.TurnResult
//	 └ report    the calls, their checks and the machine's load
//
// Each call is its own room and participant, on its own goroutine; Run
// waits for all of them before it returns.
package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/report"
	"github.com/webcall-cli/webcall/pkg/scenario"
	"github.com/webcall-cli/webcall/pkg/token"
)

// DefaultPacingBound is the send-pacing lateness (p99 per call) beyond
// which the machine is said not to keep up: 5 ms is a quarter of a frame,
// and more than an agent's jitter buffer absorbs without a trace.
const DefaultPacingBound = 5 * time.Millisecond

// Options say what to run and how.
type Options struct {
	Scenarios []*scenario.Scenario
	// Suite names what was run, for the report (the paths as given).
	Suite []string
	// Repeat runs each scenario this many times (0 means 1); Concurrency
	// is how many calls run at once (0 means 1).
	Repeat      int
	Concurrency int
	// Shard, when set, runs only that part of the work.
	Shard *report.Shard

	// Credentials gives a scenario's token source: the scenario's
	// connection, filled in by the command line.
	Credentials func(*scenario.Scenario) (token.Source, error)
	// Speak synthesises a text turn in a voice ("" for the default).
	// Nil makes text turns an error.
	Speak func(ctx context.Context, text, voice string) (*audio.Clip, error)
	// OnCredentials sees every call's credentials before they are used,
	// for redaction.
	OnCredentials func(token.Credentials)

	// Timing is the calls' timing; a scenario's timeout and a turn's
	// reply timeout take precedence.
	Timing call.Timing
	// Join, if set, joins the rooms (tests); nil means LiveKit.
	Join call.JoinFunc

	// RecordDir, when set, receives a stereo recording and a transcript
	// of every call, named by scenario and repetition.
	RecordDir string
	// PacingBound is the lateness beyond which the machine is overloaded
	// (0: DefaultPacingBound).
	PacingBound time.Duration

	// Failure describes an error for the report: its exit code and hint,
	// which are the command line's to know.
	Failure func(error) report.Failure
	// Progress receives a line per call started and ended, for people.
	Progress func(string)
	// Tool is the report's tool field ("webcall v1.2.3").
	Tool string
}

// item is one call to make: a scenario and a repetition, with its place in
// the whole run's work.
type item struct {
	index  int
	sc     *scenario.Scenario
	repeat int
}

// Work lists every call of the run in order: each scenario's repetitions
// in turn. A shard runs a contiguous part of it, so every shard of a run
// numbers its calls the same way.
func work(scs []*scenario.Scenario, repeat int) []item {
	var items []item
	for _, sc := range scs {
		for r := 0; r < repeat; r++ {
			items = append(items, item{index: len(items), sc: sc, repeat: r})
		}
	}
	return items
}

// Run makes the calls and returns their report. A scenario whose audio
// cannot be prepared fails Run before anything connects. A call that
// fails is an Error in the report, not an error of Run; cancelling ctx
// hangs up every call, and Run returns the report so far with ctx's error
// as a failure of Kind Interrupted.
func Run(ctx context.Context, o Options) (*report.Report, error) {
	o = o.withDefaults()
	prepared, err := prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	items := work(o.Scenarios, o.Repeat)
	if o.Shard != nil {
		lo, hi := scenario.Shard(len(items), o.Shard.Index, o.Shard.Count)
		items = items[lo:hi]
	}
	if o.RecordDir != "" {
		if err := os.MkdirAll(o.RecordDir, 0o755); err != nil {
			return nil, failure.Wrap(failure.Usage, err, "cannot create the recording directory").
				WithHint("give a directory you can write to")
		}
	}

	rep := &report.Report{
		Version:     report.Version,
		Tool:        o.Tool,
		Suite:       o.Suite,
		StartedAt:   time.Now().UTC(),
		Shard:       o.Shard,
		Concurrency: o.Concurrency,
		Repeat:      o.Repeat,
	}
	load := startLoad()

	calls := make([]report.Call, len(items))
	var (
		wg   sync.WaitGroup
		next = make(chan int)
		mu   sync.Mutex
		done int
	)
	for w := 0; w < min(o.Concurrency, len(items)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				calls[i] = runCall(ctx, o, items[i], prepared[items[i].sc])
				mu.Lock()
				done++
				o.Progress(fmt.Sprintf("[%d/%d] %s", done, len(items), callLine(calls[i])))
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range items {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	for i := range calls {
		if calls[i].Verdict == "" { // never started: the run was cut short
			calls[i] = skippedCall(items[i])
		}
	}
	rep.Calls = calls
	rep.DurationMS = time.Since(rep.StartedAt).Milliseconds()
	rep.Machines = []report.Machine{load.finish(rep, o.PacingBound)}
	if ctx.Err() != nil {
		return rep, failure.Wrap(failure.Interrupted, ctx.Err(), "interrupted")
	}
	return rep, nil
}

func (o Options) withDefaults() Options {
	o.Repeat = max(o.Repeat, 1)
	o.Concurrency = max(o.Concurrency, 1)
	if o.PacingBound <= 0 {
		o.PacingBound = DefaultPacingBound
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	if o.Failure == nil {
		o.Failure = func(err error) report.Failure {
			return report.Failure{Kind: failure.KindOf(err).String(), Code: 1, Message: err.Error()}
		}
	}
	return o
}

// turns are a scenario's turns as the call takes them.
type turns []call.Turn

// prepare loads or synthesises every turn's audio, once per scenario, so
// that a missing file or synthesiser fails the run before it connects.
func prepare(ctx context.Context, o Options) (map[*scenario.Scenario]turns, error) {
	out := make(map[*scenario.Scenario]turns, len(o.Scenarios))
	cache := map[string]*audio.Clip{}
	for _, sc := range o.Scenarios {
		var ts turns
		for i := range sc.Turns {
			st := &sc.Turns[i]
			t := call.Turn{BargeIn: st.BargeIn, ReplyTimeout: st.Expect.Timeout}
			var err error
			switch st.Kind() {
			case "say":
				key := "file:" + st.Say
				if t.Say = cache[key]; t.Say == nil {
					t.Say, err = audio.LoadFile(st.Say)
					cache[key] = t.Say
				}
			case "text":
				key := "text:" + st.Voice + ":" + st.Text
				if t.Say = cache[key]; t.Say == nil {
					if o.Speak == nil {
						err = failure.New(failure.Usage, "text turns need a speech synthesiser")
					} else {
						t.Say, err = o.Speak(ctx, st.Text, st.Voice)
					}
					cache[key] = t.Say
				}
			case "chat":
				t.Chat = st.Chat
			default:
				t.Silence = st.Silence
			}
			if err != nil {
				return nil, failure.Wrap(failure.KindOf(err), err, fmt.Sprintf("%s:%d: %s", sc.Path, st.Line, st.Name))
			}
			ts = append(ts, t)
		}
		out[sc] = ts
	}
	return out, nil
}

// runCall makes one call and judges it.
func runCall(ctx context.Context, o Options, it item, ts turns) report.Call {
	sc := it.sc
	rc := report.Call{
		Index:    it.index,
		Scenario: sc.Name,
		File:     sc.Path,
		Line:     sc.Line,
		Repeat:   it.repeat,
	}
	src, err := o.Credentials(sc)
	if err != nil {
		return errorCall(rc, sc, o.Failure(err))
	}
	var (
		rec    *audio.Recorder
		recWAV *audio.WAVWriter
	)
	if o.RecordDir != "" {
		base := filepath.Join(o.RecordDir, fileStem(sc, it))
		if recWAV, err = audio.CreateWAV(base+".wav", audio.SampleRate, 2); err != nil {
			return errorCall(rc, sc, o.Failure(err))
		}
		rec = audio.NewRecorder(recWAV)
	}

	timing := o.Timing
	timing.MaxDuration = sc.Timeout
	var roomName string
	start := time.Now()
	res, err := call.Run(ctx, call.Options{
		Credentials: src,
		Turns:       ts,
		Recorder:    rec,
		Timing:      timing,
		Join:        o.Join,
		Events: func(e event.Event) {
			if e.Room != "" {
				roomName = e.Room
			}
			if e.CallID != "" {
				rc.CallID = e.CallID
			}
		},
		OnCredentials: o.OnCredentials,
		Start:         start,
	})
	rc.DurationMS = time.Since(start).Milliseconds()
	rc.Room, rc.Identity = res.Room, res.Identity
	if rc.Room == "" {
		rc.Room = roomName
	}
	if recWAV != nil {
		if res.Room != "" {
			if cerr := recWAV.Close(); cerr == nil {
				rc.Recording = recWAV.Path()
			}
			if path, terr := writeTranscript(filepath.Join(o.RecordDir, fileStem(sc, it))+".txt", res); terr == nil {
				rc.Transcript = path
			}
		} else {
			_ = recWAV.Abort()
		}
	}
	if err != nil {
		// The call could not run to its end (no agent, the connection
		// lost, hung up): what was measured is kept, but it is no verdict
		// on the agent's answers.
		return fillCall(errorCall(rc, sc, o.Failure(err)), sc, res, false)
	}
	return fillCall(rc, sc, res, true)
}

// fileStem names a call's files: the scenario's name, made safe for a file
// name, and its repetition.
func fileStem(sc *scenario.Scenario, it item) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, sc.Name)
	return fmt.Sprintf("%03d-%s-%d", it.index+1, name, it.repeat+1)
}

func errorCall(rc report.Call, sc *scenario.Scenario, f report.Failure) report.Call {
	rc.Verdict = report.Error
	rc.Error = &f
	return rc
}

// skippedCall is a call the run never got to.
func skippedCall(it item) report.Call {
	rc := report.Call{Index: it.index, Scenario: it.sc.Name, File: it.sc.Path, Line: it.sc.Line, Repeat: it.repeat, Verdict: report.Skipped}
	for i := range it.sc.Turns {
		rc.Turns = append(rc.Turns, newTurn(&it.sc.Turns[i]))
	}
	return rc
}

// callLine is a call's outcome in a progress line.
func callLine(c report.Call) string {
	label := c.Scenario
	if c.Repeat > 0 {
		label = fmt.Sprintf("%s #%d", c.Scenario, c.Repeat+1)
	}
	switch c.Verdict {
	case report.Error:
		return fmt.Sprintf("%s: error: %s", label, c.Error.Message)
	default:
		passed := 0
		for _, t := range c.Turns {
			if t.Verdict == report.Pass {
				passed++
			}
		}
		return fmt.Sprintf("%s: %s (%d of %d turns passed)", label, c.Verdict, passed, len(c.Turns))
	}
}
