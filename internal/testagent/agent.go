// Package testagent is a voice agent for tests and the demo that behaves on
// the wire like a LiveKit Agents (Node 1.9 / Python) voice agent, as
// described in shared/notes/livekit-agent-wire.md.
//
// It registers as an agent worker under a name (WebSocket to the server's
// /agent path, protobuf WorkerMessage / ServerMessage), so a room whose
// token names the agent gets it by explicit dispatch. In each room it joins
// as a participant of kind AGENT with lk.agent.name and lk.agent.state, hears
// the first user's MICROPHONE track (other sources are ignored), finds
// utterances by energy, and for each one sends the user's transcription on
// the user's behalf (interim streams, then the final text as a final=false
// and a final=true stream, one lk.segment_id), thinks for ReplyDelay, and
// replies with speech audio on its own microphone track and the reply text
// as one stream written word by word in step with the audio. Every caption
// also goes out as a legacy Transcription packet with unrelated ids. Its
// audio track sends nothing at all between replies.
//
// There is no speech recognition: what the user said comes from a script
// (Options.Heard, by utterance). Each turn is answered by the first Reply
// whose When the heard text contains, else by the next Reply without one.
//
// Chat: a text stream on lk.chat is a turn whose text is the message, as
// LiveKit Agents take text input in a voice session: no user caption is
// sent for it (the user typed it), and it is answered like speech.
//
// Interruption: as with LiveKit Agents' allow_interruptions and
// min_interruption_duration, once an utterance has InterruptAfter of voiced
// audio while the agent speaks, or a chat message arrives, the reply stops
// at once: no more audio, its caption stream closed and its legacy final
// sent with the words said so far, state listening. The interrupted reply
// is dropped, with any answers still owed to earlier turns; the turn that
// interrupted is answered once it is over. With interruption off
// (InterruptAfter < 0), speech heard during a reply is transcribed and
// answered after it, in order.
//
// Ground truth: the agent stamps each heard frame with its arrival and
// states what it did and when (user speech started and ended, chat
// received, reply audio started and stopped, reply interrupted) in its log
// and to Options.OnFact, as Facts; see FactReplyStarted for the latency
// an agent framework would report.
//
// WebSocket pings on the worker connection are answered by gorilla's
// default handler; like agents-js, the worker sends no WorkerPing of its
// own.
//
// Goroutines, and who ends them:
//   - Agent.run: the worker connection (read loop, reconnects). Ends when
//     the Agent's context ends (Close or the caller's ctx); it ends all
//     sessions before it returns.
//   - the status ticker, one per worker connection: ends with the
//     connection. A context.AfterFunc closes the connection when the
//     agent ends, to unblock the read loop.
//   - session.run, one per job (room): ends when its context ends (Close,
//     a JobTermination), the user leaves, or the room closes; it leaves
//     the room and reports the job's end before it returns.
//   - the playout of a reply, at most one per session: ends at the end of
//     the reply, when the user interrupts it, or when the session ends;
//     the session loop waits for it in the last two cases.
//   - the reader of a chat message: the SDK starts one per text stream on
//     lk.chat; it ends when the stream is closed or the room is left, and
//     never blocks on the session past its end.
//   - the SDK's own goroutines (room connection, one decoder per heard
//     track): ended by leaving the room.
package testagent

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

// Version is reported to the server at registration.
const Version = "webcall-testagent/1"

const (
	// registerTimeout bounds the wait for the server's answer to a
	// registration (the server itself allows 10 s).
	registerTimeout = 10 * time.Second
	// statusEvery is how often the worker reports its load, as agents-js
	// does.
	statusEvery = 2500 * time.Millisecond
	// assignmentTimeout is how long an accepted job may wait for its
	// assignment before it no longer counts against the load.
	assignmentTimeout = 10 * time.Second
	// writeTimeout bounds one write to the worker connection.
	writeTimeout = 5 * time.Second
	// maxReconnectDelay caps the wait between reconnection attempts.
	maxReconnectDelay = 10 * time.Second
)

// Agent is a running test agent: a registered worker and its jobs.
type Agent struct {
	opts *prepared
	log  *slog.Logger

	ctx    context.Context // the worker's life
	cancel context.CancelFunc
	done   chan struct{} // closed when run has returned

	writeMu sync.Mutex // one writer at a time on the connection
	mu      sync.Mutex
	conn    *websocket.Conn // nil while disconnected
	closing bool
	pending map[string]time.Time // accepted jobs awaiting assignment
	jobs    map[string]*job

	hearingOnce sync.Once
	hearing     chan struct{} // closed once a session hears a user's microphone
}

// job is one running session, as the worker sees it.
type job struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Start registers the agent with the server and returns once the server
// has accepted it, so a room created after Start returns gets the agent.
// The agent runs until ctx ends or Close is called.
func Start(ctx context.Context, opts Options) (*Agent, error) {
	p, err := opts.prepare()
	if err != nil {
		return nil, err
	}
	a := &Agent{
		opts:    p,
		log:     p.Logger.With("agent", p.AgentName),
		done:    make(chan struct{}),
		pending: make(map[string]time.Time),
		jobs:    make(map[string]*job),
		hearing: make(chan struct{}),
	}
	a.ctx, a.cancel = context.WithCancel(ctx)
	conn, err := a.connect(a.ctx)
	if err != nil {
		a.cancel()
		return nil, err
	}
	go a.run(conn)
	return a, nil
}

// Close leaves every room (reporting each job's end to the server), closes
// the worker connection and waits for all of the agent's goroutines. It is
// safe to call more than once.
func (a *Agent) Close() error {
	a.endJobs()
	a.cancel()
	<-a.done
	return nil
}

// Hearing is closed once the agent has subscribed to a user's microphone
// in some room: from then on it hears what the user says. Tests that
// speak into a live microphone wait for it rather than guessing how long
// the subscription takes on a busy machine.
func (a *Agent) Hearing() <-chan struct{} { return a.hearing }

// Done is closed once the agent has stopped.
func (a *Agent) Done() <-chan struct{} { return a.done }

// ActiveJobs is the number of rooms the agent is in.
func (a *Agent) ActiveJobs() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.jobs)
}

// endJobs stops taking jobs, ends the running ones and waits for them.
func (a *Agent) endJobs() {
	a.mu.Lock()
	a.closing = true
	jobs := make([]*job, 0, len(a.jobs))
	for _, j := range a.jobs {
		jobs = append(jobs, j)
	}
	a.mu.Unlock()
	for _, j := range jobs {
		j.cancel()
	}
	for _, j := range jobs {
		<-j.done
	}
}

func (a *Agent) run(conn *websocket.Conn) {
	defer close(a.done)
	defer a.endJobs()
	for {
		a.serve(conn)
		if a.ctx.Err() != nil {
			return
		}
		a.log.Warn("worker connection lost; reconnecting")
		if conn = a.reconnect(); conn == nil {
			return
		}
	}
}

// reconnect dials until it succeeds or the agent ends (nil).
func (a *Agent) reconnect() *websocket.Conn {
	delay := time.Second
	for {
		select {
		case <-a.ctx.Done():
			return nil
		case <-time.After(delay):
		}
		conn, err := a.connect(a.ctx)
		if err == nil {
			return conn
		}
		a.log.Warn("worker reconnection failed", "err", err, "retry_in", delay)
		delay = min(2*delay, maxReconnectDelay)
	}
}

// connect dials the server's agent endpoint and registers the worker.
func (a *Agent) connect(ctx context.Context) (*websocket.Conn, error) {
	wsURL, err := workerURL(a.opts.URL)
	if err != nil {
		return nil, err
	}
	tok, err := auth.NewAccessToken(a.opts.APIKey, a.opts.APISecret).
		SetVideoGrant(&auth.VideoGrant{Agent: true}).
		SetValidFor(time.Hour).
		ToJWT()
	if err != nil {
		return nil, fmt.Errorf("test agent: mint the worker token: %w", err)
	}
	dialer := websocket.Dialer{HandshakeTimeout: registerTimeout}
	conn, resp, err := dialer.DialContext(ctx, wsURL, http.Header{"Authorization": {"Bearer " + tok}})
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return nil, fmt.Errorf("test agent: the server at %s refused the API key and secret (HTTP %d)", a.opts.URL, resp.StatusCode)
		}
		return nil, fmt.Errorf("test agent: connect to %s: %w", wsURL, err)
	}

	fail := func(err error) (*websocket.Conn, error) {
		conn.Close()
		return nil, fmt.Errorf("test agent: register with %s: %w", a.opts.URL, err)
	}
	if err := writeMsg(conn, &livekit.WorkerMessage{Message: &livekit.WorkerMessage_Register{
		Register: &livekit.RegisterWorkerRequest{
			Type:      livekit.JobType_JT_ROOM,
			AgentName: a.opts.AgentName,
			Version:   Version,
			AllowedPermissions: &livekit.ParticipantPermission{
				CanPublish:        true,
				CanSubscribe:      true,
				CanPublishData:    true,
				CanUpdateMetadata: true,
				Agent:             true,
			},
		},
	}}); err != nil {
		return fail(err)
	}
	conn.SetReadDeadline(time.Now().Add(registerTimeout))
	msg, err := readMsg(conn)
	if err != nil {
		return fail(err)
	}
	reg := msg.GetRegister()
	if reg == nil {
		return fail(fmt.Errorf("the server answered with %T, want a registration", msg.GetMessage()))
	}
	conn.SetReadDeadline(time.Time{})
	a.log.Info("worker registered", "worker_id", reg.GetWorkerId(), "server_version", reg.GetServerInfo().GetVersion())

	a.writeMu.Lock()
	a.conn = conn
	a.writeMu.Unlock()
	return conn, nil
}

// serve handles the server's messages until the connection breaks or the
// agent ends.
func (a *Agent) serve(conn *websocket.Conn) {
	stopClose := context.AfterFunc(a.ctx, func() {
		// Say goodbye, then unblock the read below.
		a.writeMu.Lock()
		conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, "agent closing"),
			time.Now().Add(time.Second))
		a.writeMu.Unlock()
		conn.Close()
	})
	defer stopClose()

	statusCtx, stopStatus := context.WithCancel(a.ctx)
	statusDone := make(chan struct{})
	go func() {
		defer close(statusDone)
		a.statusLoop(statusCtx)
	}()
	defer func() {
		stopStatus()
		<-statusDone
	}()

	defer func() {
		a.writeMu.Lock()
		if a.conn == conn {
			a.conn = nil
		}
		a.writeMu.Unlock()
		conn.Close()
	}()

	for {
		msg, err := readMsg(conn)
		if err != nil {
			if a.ctx.Err() == nil {
				a.log.Warn("worker connection read failed", "err", err)
			}
			return
		}
		switch m := msg.GetMessage().(type) {
		case *livekit.ServerMessage_Availability:
			a.answerAvailability(m.Availability)
		case *livekit.ServerMessage_Assignment:
			a.startJob(m.Assignment)
		case *livekit.ServerMessage_Termination:
			a.terminate(m.Termination.GetJobId())
		case *livekit.ServerMessage_Pong, *livekit.ServerMessage_Register:
		default:
			a.log.Debug("ignoring server message", "type", fmt.Sprintf("%T", m))
		}
	}
}

// statusLoop reports the load now and every statusEvery.
func (a *Agent) statusLoop(ctx context.Context) {
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	for {
		a.sendStatus()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sendStatus reports the worker's load: the share of MaxJobs in use, which
// stays low (the server skips workers above about 0.7), and FULL once no
// job more can be taken.
func (a *Agent) sendStatus() {
	a.mu.Lock()
	a.prunePending()
	busy := len(a.jobs) + len(a.pending)
	full := a.closing || busy >= a.opts.MaxJobs
	jobCount := len(a.jobs)
	a.mu.Unlock()
	status := livekit.WorkerStatus_WS_AVAILABLE
	if full {
		status = livekit.WorkerStatus_WS_FULL
	}
	a.send(&livekit.WorkerMessage{Message: &livekit.WorkerMessage_UpdateWorker{UpdateWorker: &livekit.UpdateWorkerStatus{
		Status:   &status,
		Load:     float32(busy) / float32(a.opts.MaxJobs),
		JobCount: uint32(jobCount),
	}}})
}

// prunePending forgets accepted jobs whose assignment never came. a.mu held.
func (a *Agent) prunePending() {
	for id, at := range a.pending {
		if time.Since(at) > assignmentTimeout {
			a.log.Warn("no assignment came for an accepted job", "job", id)
			delete(a.pending, id)
		}
	}
}

func (a *Agent) answerAvailability(req *livekit.AvailabilityRequest) {
	j := req.GetJob()
	if j == nil {
		return
	}
	a.mu.Lock()
	a.prunePending()
	available := !a.closing && len(a.jobs)+len(a.pending) < a.opts.MaxJobs
	if available {
		a.pending[j.GetId()] = time.Now()
	}
	a.mu.Unlock()

	res := &livekit.AvailabilityResponse{JobId: j.GetId(), Available: available}
	if available {
		res.ParticipantIdentity = "agent-" + j.GetId()
		res.ParticipantName = a.opts.AgentName
		// The state is in the join token, so clients see the agent
		// listening from its first appearance, as with Node agents.
		res.ParticipantAttributes = map[string]string{
			attrAgentName:  a.opts.AgentName,
			attrAgentState: stateListening,
		}
	}
	a.log.Info("job offered", "job", j.GetId(), "room", j.GetRoom().GetName(), "accepted", available)
	a.send(&livekit.WorkerMessage{Message: &livekit.WorkerMessage_Availability{Availability: res}})
}

func (a *Agent) startJob(asg *livekit.JobAssignment) {
	j := asg.GetJob()
	id := j.GetId()
	a.mu.Lock()
	if _, ok := a.pending[id]; !ok || a.closing {
		a.mu.Unlock()
		a.log.Warn("ignoring assignment for a job not accepted", "job", id)
		return
	}
	delete(a.pending, id)
	ctx, cancel := context.WithCancel(a.ctx)
	rj := &job{cancel: cancel, done: make(chan struct{})}
	a.jobs[id] = rj
	a.mu.Unlock()

	// The server leaves the URL out when the room is on the server the
	// worker is connected to.
	url := asg.GetUrl()
	if url == "" {
		url = a.opts.URL
	}
	s := newSession(a.opts, j, a.log, func(status livekit.JobStatus, errMsg string) {
		a.send(&livekit.WorkerMessage{Message: &livekit.WorkerMessage_UpdateJob{UpdateJob: &livekit.UpdateJobStatus{
			JobId: id, Status: status, Error: errMsg,
		}}})
	})
	s.onHearing = func() { a.hearingOnce.Do(func() { close(a.hearing) }) }
	go func() {
		defer close(rj.done)
		defer cancel()
		s.run(ctx, url, asg.GetToken())
		a.mu.Lock()
		delete(a.jobs, id)
		a.mu.Unlock()
		a.sendStatus()
	}()
	a.sendStatus()
}

func (a *Agent) terminate(jobID string) {
	a.mu.Lock()
	j := a.jobs[jobID]
	a.mu.Unlock()
	if j != nil {
		a.log.Info("job terminated by the server", "job", jobID)
		j.cancel()
	}
}

// send writes msg on the current connection; while there is none, the
// message is dropped (the server forgets a disconnected worker's state).
func (a *Agent) send(msg *livekit.WorkerMessage) {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	if a.conn == nil {
		return
	}
	a.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := writeMsg(a.conn, msg); err != nil && a.ctx.Err() == nil {
		a.log.Warn("worker message not sent", "type", fmt.Sprintf("%T", msg.GetMessage()), "err", err)
	}
}

func writeMsg(conn *websocket.Conn, msg *livekit.WorkerMessage) error {
	b, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode worker message: %w", err)
	}
	return conn.WriteMessage(websocket.BinaryMessage, b)
}

func readMsg(conn *websocket.Conn) (*livekit.ServerMessage, error) {
	for {
		typ, b, err := conn.ReadMessage()
		if err != nil {
			return nil, err
		}
		if typ != websocket.BinaryMessage {
			continue
		}
		msg := &livekit.ServerMessage{}
		if err := proto.Unmarshal(b, msg); err != nil {
			return nil, fmt.Errorf("decode server message: %w", err)
		}
		return msg, nil
	}
}
