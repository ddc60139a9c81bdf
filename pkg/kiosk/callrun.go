package kiosk

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/archive"
	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// Files says what the kiosk keeps of each call: a transcript in each of
// Transcripts' formats and, with Record, a stereo WAV of both sides (split
// into parts before the 4 GiB a WAV can hold), all in Dir and named
// <UTC start>-<call id>.<ext> (archive.Dir.CallBase), so that the files
// of one call sort together and by time. Dir's limits are kept after
// every call: the oldest calls' files go first.
type Files struct {
	Dir         archive.Dir
	Transcripts []transcript.FileFormat
	Record      bool
}

func (f Files) enabled() bool { return f.Dir.Path != "" && (len(f.Transcripts) > 0 || f.Record) }

// errHungUp is why a call's context is cancelled when the kiosk hangs up
// (the API, a signal, the kiosk stopping).
var errHungUp = errors.New("hung up by the kiosk")

// running is the call that is on, as the loop knows it.
type running struct {
	status CallStatus
	cancel context.CancelCauseFunc
	// hungUp: the kiosk ended it; waiters are answered when it is over.
	hungUp  bool
	waiters []chan reply
}

// ended is what a call's goroutine hands back to the loop.
type ended struct {
	res call.Result
	err error
	// connected: the room was joined, so the call has files; reached:
	// the agent came, so the start worked.
	connected, reached bool
	// deviceErr: the sound devices could not be opened or were lost.
	deviceErr error
	files     []string
}

// runCall makes one call, from opening the devices to writing its files,
// on the goroutine the loop started for it.
func (k *Kiosk) runCall(ctx context.Context, cs CallStatus) (e ended) {
	log := k.o.Log.With("call", cs.ID)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var lostMu sync.Mutex
	var lostErr error
	lost := func(err error) {
		lostMu.Lock()
		if lostErr == nil {
			lostErr = err
		}
		lostMu.Unlock()
		cancel(err)
	}
	aud, err := k.o.Devices.Open(ctx, lost)
	if err != nil {
		e.err, e.deviceErr = err, err
		return e
	}
	defer func() {
		if cerr := aud.Close(); cerr != nil {
			log.Warn("closing the sound devices failed", "err", cerr)
		}
	}()
	log.Info("call starting", "trigger", string(cs.Trigger), "devices", aud.Description)

	var wav *audio.SplitWAV
	var rec *audio.Recorder
	base := ""
	if k.o.Files.enabled() {
		base = k.o.Files.Dir.CallBase(cs.Started, cs.ID)
		// Room for this call first; the call in progress is never
		// pruned, by name nor by its unfinished files.
		k.prune(cs.Started, base)
	}
	if base != "" && k.o.Files.Record {
		if wav, err = audio.CreateSplitWAV(k.o.Files.Dir.File(base, "wav"), audio.SampleRate, 2); err != nil {
			// A recording that cannot be made does not stop the call.
			log.Warn("cannot record the call", "err", err)
			wav = nil
		} else {
			rec = audio.NewRecorder(wav)
		}
	}

	opts := k.o.Call
	opts.Credentials = k.creds
	opts.Input, opts.Output, opts.Recorder = aud.Input, aud.Output, rec
	opts.File, opts.Turns, opts.Chat, opts.Text = nil, nil, nil, false
	opts.Start = cs.Started
	opts.OnCredentials = func(c token.Credentials) { redact.Add(c.Token) }
	opts.Status = func(s string) { log.Debug(redact.String(s)) }
	opts.Events = func(ev event.Event) {
		switch ev.Type {
		case event.Connected:
			e.connected = true
			k.setStatus(func(s *Status) {
				if s.Call != nil && s.Call.ID == cs.ID {
					s.Call.Room = ev.Room
				}
			})
		case event.AgentJoined:
			e.reached = true
		case event.Warning:
			log.Warn(redact.String(ev.Message), "kind", ev.Kind)
		}
		if k.o.Events != nil {
			k.o.Events(cs.ID, ev)
		}
	}
	e.res, e.err = call.Run(ctx, opts)
	lostMu.Lock()
	if lostErr != nil {
		e.err, e.deviceErr = lostErr, lostErr
	} else if failure.KindOf(e.err) == failure.Device {
		e.deviceErr = e.err
	}
	lostMu.Unlock()
	if errors.Is(context.Cause(ctx), errHungUp) && isInterrupted(e.err) {
		// The kiosk hung up: the call ended as asked, not in failure.
		e.err = nil
		if e.res.Reason == "" {
			e.res.Reason = call.ReasonHangup
		}
	}
	if wav != nil {
		if e.connected {
			if cerr := wav.Close(); cerr != nil {
				log.Warn("cannot finish the recording", "err", cerr)
			} else {
				e.files = append(e.files, wav.Parts()...)
			}
		} else {
			_ = wav.Abort()
		}
	}
	if base != "" && e.connected {
		e.files = append(e.files, k.writeTranscripts(base, e.res, e.err)...)
	}
	if base != "" {
		k.prune(k.o.Now(), "")
	}
	return e
}

// prune keeps the call files within their limits, and says what it
// removed. A file it cannot remove is logged, and the kiosk goes on.
func (k *Kiosk) prune(now time.Time, protect string) {
	p, err := k.o.Files.Dir.Prune(now, protect)
	if p.Calls > 0 {
		k.o.Log.Info("removed old call files", "calls", p.Calls, "files", p.Files, "bytes", p.Bytes, "kept_calls", p.KeptCalls, "kept_bytes", p.KeptBytes)
	}
	if err != nil {
		k.o.Log.Warn("cannot remove old call files", "err", err)
	}
}

// writeTranscripts writes the call's transcript in each format asked for
// and returns the files written. One that cannot be written is logged.
func (k *Kiosk) writeTranscripts(base string, res call.Result, err error) []string {
	c := res.Conversation(err)
	c.End.Reason, c.End.Error = redact.String(c.End.Reason), redact.String(c.End.Error)
	var files []string
	for _, f := range k.o.Files.Transcripts {
		path := k.o.Files.Dir.File(base, string(f))
		if werr := transcript.WriteFile(path, c); werr != nil {
			k.o.Log.Warn("cannot write the transcript", "path", path, "err", werr)
			continue
		}
		files = append(files, path)
	}
	return files
}

// CheckFiles says whether the kiosk can keep its files: the directory
// exists (it is made if not), a file can be created in it, and its limits
// make sense.
func CheckFiles(f Files) error {
	if !f.enabled() {
		return nil
	}
	return f.Dir.Check()
}
