package call

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// How a scripted call moves from turn to turn. The loop asks the plan, at
// every tick and mark, whether the next turn may start and whether the
// current one's reply is over; the plan keeps what each turn's sending
// looked like (absolute times on the call's clock). What the agent did in
// reply is worked out once, at the end, from the meter's runs of speech,
// the captions and the agent's states: that keeps the loop's decisions
// and the measurements apart, and lets the measurements use everything
// that arrived, including what came after a decision.
type plan struct {
	turns []Turn
	runs  []*turnRun
	// next is the index of the next turn to start.
	next int
	// lastClipEnd is when the last clip was sent, for the trailing
	// silence.
	lastClipEnd time.Time
}

// turnRun is one turn as the loop saw it.
type turnRun struct {
	turn Turn
	// start: its clip's first frame went out, its message was sent, or its
	// silence began. sent: the clip is over, the message sent, the
	// silence begun; from speechEnd on the reply is waited for.
	started, sent bool
	start         time.Time
	speechStart   time.Time
	speechEnd     time.Time
	voiced        bool
	// over: its reply is over, timed out, was not needed, or was cut
	// short by the next turn barging in.
	over     bool
	timedOut bool
	// gen is the playing of its clip (scriptReader.play).
	gen int
}

func newPlan(turns []Turn) *plan { return &plan{turns: turns} }

func (p *plan) current() *turnRun {
	if len(p.runs) == 0 {
		return nil
	}
	return p.runs[len(p.runs)-1]
}

// done says every turn has started and the last one is over.
func (p *plan) done() bool {
	cur := p.current()
	return p.next == len(p.turns) && cur != nil && cur.over
}

// replyTimeout is turn's own timeout, or the call's.
func (c *call) replyTimeout(t Turn) time.Duration {
	if t.ReplyTimeout > 0 {
		return t.ReplyTimeout
	}
	return c.timing.ReplyTimeout
}

// advance takes the scripted call as far as it can go at now: it ends the
// current turn when its reply is over, and starts the next turn when its
// time has come. It reports whether the call is over.
func (c *call) advance(now time.Time, rm Room) bool {
	p := c.plan
	for {
		cur := p.current()
		if cur != nil && cur.sent && !cur.over {
			c.judgeReplyOver(now, cur)
		}
		if p.next < len(p.turns) && c.mayStart(now, p.next) {
			if cur != nil {
				// A barge-in starts before the reply it interrupts is
				// over: that reply ends here.
				cur.over = true
			}
			c.startTurn(now, p.next, rm)
			continue // a chat turn is sent at once, and may be over at once
		}
		return p.done() && !now.Before(p.lastClipEnd.Add(c.timing.TrailSilence))
	}
}

// mayStart says whether turn k may start now.
func (c *call) mayStart(now time.Time, k int) bool {
	p := c.plan
	if k == 0 {
		return c.readyToListen(now)
	}
	prev := p.runs[k-1]
	if prev.over {
		// After a rejoin the new agent must be ready first.
		return !c.link.afterRejoin || c.readyToListen(now)
	}
	bargeIn := p.turns[k].BargeIn
	if bargeIn == nil || !prev.sent {
		return false
	}
	onset := c.meter.OnsetAfter(prev.speechEnd)
	return !onset.IsZero() && !now.Before(onset.Add(*bargeIn))
}

func (c *call) startTurn(now time.Time, k int, rm Room) {
	p := c.plan
	t := p.turns[k]
	r := &turnRun{turn: t, started: true}
	p.runs = append(p.runs, r)
	p.next++
	fresh := c.link.afterRejoin
	c.link.afterRejoin = false
	label := fmt.Sprintf("turn %d of %d", k+1, len(p.turns))
	if c.o.File != nil {
		label = "the input"
	}
	switch t.Kind() {
	case TurnSay:
		// Lead silence only before the first turn (and the first after a
		// rejoin): it gives the agent's side a moment to settle on the
		// new track's first packets. Later turns (and barge-ins above
		// all) start when they are due.
		lead := time.Duration(0)
		if k == 0 || fresh {
			lead = c.timing.LeadSilence
		}
		r.gen = c.script.play(k, t.Say.Samples, lead)
		c.o.Status(fmt.Sprintf("sending %s (%s)", label, t.Say.Duration().Round(100*time.Millisecond)))
	case TurnChat:
		r.start, r.speechStart, r.speechEnd, r.sent = now, now, now, true
		c.sendChat(now, rm, t.Chat)
		c.o.Status(fmt.Sprintf("%s: sent a chat message; waiting for the agent's reply", label))
	case TurnSilence:
		r.start, r.speechStart, r.speechEnd, r.sent = now, now, now, true
		c.o.Status(fmt.Sprintf("%s: staying silent for %s", label, t.Silence))
	}
}

// onMark records what the sender reported about a turn's clip.
func (c *call) onMark(m clipMark) {
	p := c.plan
	if m.turn >= len(p.runs) {
		return
	}
	r := p.runs[m.turn]
	if m.gen != r.gen {
		// A clip cut short by a lost connection, said again since.
		return
	}
	switch m.kind {
	case markStart:
		r.start = m.at
	case markVoiced:
		r.speechStart = m.at
	case markEnd:
		r.sent = true
		p.lastClipEnd = m.at
		r.voiced = !m.lastVoiced.IsZero()
		if r.voiced {
			r.speechStart, r.speechEnd = m.firstVoiced, m.lastVoiced
		} else {
			// Nothing an agent could hear: time the wait from the clip's end.
			r.speechStart, r.speechEnd = m.at, m.at
		}
		if m.turn == len(p.turns)-1 {
			c.emit(event.Event{Type: event.InputDone, TimeMS: c.ms(m.at)})
			c.o.Status("input sent; waiting for the agent's reply")
		}
	}
}

// judgeReplyOver decides whether turn r's reply is over. The agent's state
// is only a hint, so the audio decides: the reply is over once the agent
// has been silent for ReplyIdle and its caption stream is closed (or has
// been given ReplyIdle more to close). A silence turn needs no reply: it
// is over when its silence is, unless the agent has begun to speak.
func (c *call) judgeReplyOver(now time.Time, r *turnRun) {
	onset := c.meter.OnsetAfter(r.speechEnd)
	if onset.IsZero() {
		if seen, over := c.textReplyOver(now, r.speechEnd); seen {
			if over && (r.turn.Kind() != TurnSilence || !now.Before(r.start.Add(r.turn.Silence))) {
				r.over = true
			}
			return
		}
		if r.turn.Kind() == TurnSilence && !now.Before(r.start.Add(r.turn.Silence)) {
			r.over = true
			return
		}
		if c.waited(r.speechEnd, now) >= c.replyTimeout(r.turn) {
			r.over, r.timedOut = true, true
		}
		return
	}
	if r.turn.Kind() == TurnSilence && now.Before(r.start.Add(r.turn.Silence)) {
		return
	}
	idle := c.waited(c.meter.LastSpeech(), now)
	switch {
	case idle < c.timing.ReplyIdle:
	case c.agent.state == "speaking" && idle < 3*c.timing.ReplyIdle:
	case len(c.agent.openStreams) > 0 && idle < 2*c.timing.ReplyIdle:
	default:
		r.over = true
	}
}

// stateAt is one of the agent's states and when it took it.
type stateAt struct {
	state string
	at    time.Time
}

// results works out what happened in each turn that started, and in the
// greeting before them, from the audio's runs of speech, the captions and
// the agent's states. end is when the call ended.
func (c *call) results(end time.Time) (greeting *TurnResult, turns []TurnResult) {
	runs := c.meter.Runs()
	segs := c.store.Segments()
	p := c.plan
	// Turn i's window runs from its start to the next turn's start (or the
	// end of the call): what begins in it belongs to it.
	windowEnd := func(i int) time.Time {
		if i+1 < len(p.runs) {
			return p.runs[i+1].start
		}
		return end
	}
	firstStart := end
	if len(p.runs) > 0 && !p.runs[0].start.IsZero() {
		firstStart = p.runs[0].start
	}
	if g := c.greeting(runs, segs, firstStart); g != nil {
		greeting = g
	}
	for i, r := range p.runs {
		if r.start.IsZero() {
			// Started, but its first frame never went out: the call ended.
			break
		}
		from, to := r.start, windowEnd(i)
		res := TurnResult{
			Index:       i,
			Kind:        r.turn.Kind(),
			Start:       c.since(r.start),
			SpeechStart: c.since(r.speechStart),
			SpeechEnd:   c.since(r.speechEnd),
			Voiced:      r.voiced,
			TimedOut:    r.timedOut,
		}
		if r.speechEnd.IsZero() {
			// The clip was still being sent when the call ended.
			res.SpeechStart, res.SpeechEnd = res.Start, c.since(end)
			r.speechEnd = end
		}
		user, agent := textsIn(segs, from, to)
		res.Heard = user
		if r.turn.Kind() == TurnChat {
			res.Heard = r.turn.Chat
		}
		res.Reply = agent

		deadline := r.speechEnd.Add(c.replyTimeout(r.turn))
		reply := runsIn(runs, r.speechEnd, to)
		if len(reply) > 0 && reply[0].Start.Before(deadline) {
			res.Replied = true
			res.ReplyStart = c.since(reply[0].Start)
			res.ReplyEnd = c.since(reply[len(reply)-1].End)
			for j := 1; j < len(reply); j++ {
				res.LongestGap = max(res.LongestGap, reply[j].Start.Sub(reply[j-1].End))
			}
		}
		if r.turn.BargeIn != nil {
			heard := r.speechStart
			if heard.IsZero() {
				heard = r.start
			}
			for _, run := range runs {
				if run.Start.Before(heard) && !run.End.Before(heard) {
					res.Interrupted, res.StoppedAt = true, c.since(run.End)
				}
			}
		}
		for _, s := range segs {
			if s.Speaker == transcript.SpeakerAgent && !s.Started.Before(r.speechEnd) && s.Started.Before(to) {
				if !res.HasFirstCaption || c.since(s.Started) < res.FirstCaption {
					res.FirstCaption, res.HasFirstCaption = c.since(s.Started), true
				}
			}
		}
		for _, st := range c.states {
			if st.at.Before(from) || !st.at.Before(to) {
				continue
			}
			res.States = append(res.States, st.state)
			if st.at.Before(r.speechEnd) {
				continue
			}
			switch {
			case st.state == "thinking" && !res.HasThinking:
				res.Thinking, res.HasThinking = c.since(st.at), true
			case st.state == "speaking" && !res.HasSpeaking:
				res.Speaking, res.HasSpeaking = c.since(st.at), true
			}
		}
		res.Agent = c.agentMetricsIn(from, to)
		turns = append(turns, res)
	}
	return greeting, turns
}

// greeting is what the agent said before the first turn began, or nil.
func (c *call) greeting(runs []audio.Run, segs []transcript.Segment, before time.Time) *TurnResult {
	spoken := runsIn(runs, c.start, before)
	_, text := textsIn(segs, c.start, before)
	if len(spoken) == 0 && text == "" {
		return nil
	}
	g := &TurnResult{Index: -1, Kind: "greeting", Reply: text, Agent: c.agentMetricsIn(c.start, before)}
	if len(spoken) > 0 {
		g.Replied = true
		g.ReplyStart, g.ReplyEnd = c.since(spoken[0].Start), c.since(spoken[len(spoken)-1].End)
		for j := 1; j < len(spoken); j++ {
			g.LongestGap = max(g.LongestGap, spoken[j].Start.Sub(spoken[j-1].End))
		}
	}
	return g
}

// since is t as an offset from the call's time zero.
func (c *call) since(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return t.Sub(c.start)
}

// runsIn are the runs of speech that begin in [from, to).
func runsIn(runs []audio.Run, from, to time.Time) []audio.Run {
	var out []audio.Run
	for _, r := range runs {
		if !r.Start.Before(from) && r.Start.Before(to) {
			out = append(out, r)
		}
	}
	return out
}

// textsIn joins the user's and the agent's segments that began in
// [from, to), in the order they began.
func textsIn(segs []transcript.Segment, from, to time.Time) (user, agent string) {
	in := slices.DeleteFunc(slices.Clone(segs), func(s transcript.Segment) bool {
		return s.Started.Before(from) || !s.Started.Before(to) || strings.TrimSpace(s.Text) == ""
	})
	slices.SortStableFunc(in, func(a, b transcript.Segment) int { return a.Started.Compare(b.Started) })
	var u, a []string
	for _, s := range in {
		if s.Speaker == transcript.SpeakerAgent {
			a = append(a, strings.TrimSpace(s.Text))
		} else {
			u = append(u, strings.TrimSpace(s.Text))
		}
	}
	return strings.Join(u, " "), strings.Join(a, " ")
}
