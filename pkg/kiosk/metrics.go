package kiosk

import (
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// Metrics are the kiosk's Prometheus metrics, on a registry of their own
// (with the Go runtime's and the process's collectors): a process that
// embeds the kiosk exports nothing it did not ask for, and tests read
// exact values without the global registry's state from other tests.
type Metrics struct {
	Registry *prometheus.Registry

	callsStarted   *prometheus.CounterVec
	callsEnded     *prometheus.CounterVec
	callsFailed    *prometheus.CounterVec
	reconnects     prometheus.Counter
	deviceRestarts prometheus.Counter
	underruns      prometheus.Counter
	tokenFailures  prometheus.Counter
	turnLatency    *prometheus.HistogramVec
	firstAudio     prometheus.Histogram
	state          *prometheus.GaugeVec
	lastEnd        prometheus.Gauge
}

// End reasons, the values of webcall_kiosk_calls_ended_total's reason.
const (
	EndHangup       = "hangup"
	EndAgentLeft    = "agent_left"
	EndMaxDuration  = "max_duration"
	EndDisconnected = "disconnected"
	EndFailed       = "failed"
	EndOther        = "other"
)

// latencyBuckets span what a voice agent's reply takes, from a quick one
// (300 ms) to one that has lost the user (10 s).
var latencyBuckets = []float64{0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10}

// NewMetrics makes the metrics and registers them.
func NewMetrics() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	const ns = "webcall_kiosk"
	m.callsStarted = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "calls_started_total",
		Help: "Calls started, by what started them."}, []string{"trigger"})
	m.callsEnded = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "calls_ended_total",
		Help: "Calls ended, by why: hangup, agent_left, max_duration, disconnected, failed, other."}, []string{"reason"})
	m.callsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "calls_failed_total",
		Help: "Calls that failed, by the kind of failure (connect, auth, busy, device, no_agent, ...)."}, []string{"kind"})
	m.reconnects = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "reconnects_total",
		Help: "Rooms rejoined after the connection was lost."})
	m.deviceRestarts = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "device_restarts_total",
		Help: "Sound device streams restarted after they went quiet, and devices reopened after they were lost."})
	m.underruns = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "playback_underruns_total",
		Help: "Times the speaker ran out of the agent's audio mid-speech."})
	m.tokenFailures = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "token_failures_total",
		Help: "Times credentials for a call could not be obtained."})
	m.turnLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "turn_latency_seconds",
		Help:    "From the end of the user's speech to the agent's reply: as webcall heard it (measured_by=webcall), and as the agent reported it (measured_by=agent).",
		Buckets: latencyBuckets}, []string{"measured_by"})
	m.firstAudio = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "time_to_first_audio_seconds",
		Help: "From the start of a call to the first audio of the agent.", Buckets: latencyBuckets})
	m.state = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "state",
		Help: "1 for the state the kiosk is in, 0 for the others."}, []string{"state"})
	m.lastEnd = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "last_call_end_timestamp_seconds",
		Help: "When the last call ended, in Unix seconds."})
	m.Registry.MustRegister(m.callsStarted, m.callsEnded, m.callsFailed, m.reconnects, m.deviceRestarts,
		m.underruns, m.tokenFailures, m.turnLatency, m.firstAudio, m.state, m.lastEnd,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every label value is there from the start, at zero, so that a
	// dashboard's rate() sees the first call.
	for _, t := range []Trigger{TriggerAPI, TriggerSignal, TriggerKey, TriggerAlwaysOn, TriggerRetry} {
		m.callsStarted.WithLabelValues(string(t))
	}
	for _, r := range []string{EndHangup, EndAgentLeft, EndMaxDuration, EndDisconnected, EndFailed, EndOther} {
		m.callsEnded.WithLabelValues(r)
	}
	m.turnLatency.WithLabelValues("webcall")
	m.turnLatency.WithLabelValues("agent")
	m.setState(StateStarting)
	return m
}

func (m *Metrics) setState(s State) {
	for _, st := range States {
		v := 0.0
		if st == s {
			v = 1
		}
		m.state.WithLabelValues(string(st)).Set(v)
	}
}

// DeviceRestarted counts a sound device stream restarted after it went
// quiet, or devices reopened after they were lost.
func (m *Metrics) DeviceRestarted() { m.deviceRestarts.Inc() }

// callEnded counts a call that ran (or tried to) and what it measured.
func (m *Metrics) callEnded(res call.Result, err error, hungUp bool, at time.Time) string {
	reason := endReason(res, err, hungUp)
	m.callsEnded.WithLabelValues(reason).Inc()
	if reason == EndFailed {
		m.callsFailed.WithLabelValues(failure.KindOf(err).String()).Inc()
	}
	m.reconnects.Add(float64(res.Rejoins))
	m.underruns.Add(float64(res.Stats.PlaybackUnderrun))
	if res.Stats.FirstAgentAudio > 0 {
		m.firstAudio.Observe(float64(res.Stats.FirstAgentAudio) / 1000)
	}
	for _, t := range res.Turns {
		if t.Replied && t.Voiced && t.ReplyStart > t.SpeechEnd {
			m.turnLatency.WithLabelValues("webcall").Observe((t.ReplyStart - t.SpeechEnd).Seconds())
		}
	}
	for _, a := range res.AgentMetrics {
		if a.E2ELatencyMS != nil && *a.E2ELatencyMS > 0 {
			m.turnLatency.WithLabelValues("agent").Observe(*a.E2ELatencyMS / 1000)
		}
	}
	m.lastEnd.Set(float64(at.UnixNano()) / 1e9)
	return reason
}

// endReason names why a call ended, for the metric. A call the kiosk hung
// up (the API, a signal, shutting down) is a hangup whatever pkg/call
// made of its cancelled context.
func endReason(res call.Result, err error, hungUp bool) string {
	switch {
	case hungUp:
		return EndHangup
	case err != nil:
		if failure.KindOf(err) == failure.Connect && res.Connected > 0 {
			return EndDisconnected
		}
		return EndFailed
	}
	switch {
	case res.Reason == call.ReasonHangup:
		return EndHangup
	case res.Reason == call.ReasonAgentLeft:
		return EndAgentLeft
	case res.Reason == call.ReasonMaxDuration:
		return EndMaxDuration
	case strings.Contains(res.Reason, "disconnected"), strings.Contains(res.Reason, "lost the connection"):
		return EndDisconnected
	}
	return EndOther
}

// isInterrupted: the call ended because its context was cancelled.
func isInterrupted(err error) bool {
	k := failure.KindOf(err)
	return k == failure.Interrupted || k == failure.Terminated || errors.Is(err, errHungUp)
}
