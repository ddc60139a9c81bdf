package transcript

import (
	"fmt"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/event"
)

// The status row: the bottom of a TTY's live area says what the call is
// doing, in words, with the call's time, and ends with the footer (the
// level meter) when there is one:
//
//	● listening  0:12 · 4:48 left   mic ▁▃▅ -23 dB   agent ▁▁▁  -∞ dB
//
// It is drawn from the events the TTY is given and from Tick, which tells
// it the time: the TTY never reads the clock, so what it draws follows
// from its input alone.

// spinnerFrames turn once a second at the ticks' pace (spinnerStep).
var spinnerFrames = []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

const spinnerStep = 100 * time.Millisecond

// Marks before the state words that do not spin.
const (
	markListening = "●"
	markSpeaking  = "▶"
	markIdle      = "○"
	markEnded     = "■"
)

// callState is what the status row is drawn from.
type callState struct {
	elapsed      time.Duration // since the call's time zero, from Tick
	connected    bool
	connectedAt  time.Duration // the Connected event's time: the call's clock starts there
	limit        time.Duration // the Connected event's limit; 0 for none said
	agentHere    bool
	agentState   string
	reconnecting bool
	// rejoining is the attempt to join again being made ("2/6"), after
	// the room was lost; "" otherwise.
	rejoining string
	muted     bool
	ended     bool
}

// apply notes what e changes, and reports whether it was an event the
// status row shows.
func (s *callState) apply(e event.Event) bool {
	switch e.Type {
	case event.Connected:
		s.connected = true
		s.connectedAt = time.Duration(e.TimeMS) * time.Millisecond
		s.limit = time.Duration(e.LimitMS) * time.Millisecond
	case event.AgentJoined:
		s.agentHere = true
	case event.AgentLeft:
		s.agentHere = false
		s.agentState = ""
	case event.AgentState:
		s.agentHere = true
		s.agentState = e.State
	case event.Connection:
		// Older events say it in Reason.
		state := e.State
		if state == "" {
			state = e.Reason
		}
		switch state {
		case event.ConnReconnecting, event.ConnLost:
			// Lost: the room is left, the call about to rejoin or end.
			s.reconnecting = true
		case event.ConnRejoining:
			s.reconnecting, s.rejoining = true, fmt.Sprintf("%d/%d", e.Attempt, e.MaxAttempts)
		case event.ConnRejoined:
			// A new room: the agent has to come (back) into it.
			s.reconnecting, s.rejoining = false, ""
			s.agentHere, s.agentState = false, ""
		default:
			s.reconnecting, s.rejoining = false, ""
		}
	case event.Mute:
		s.muted = e.State == event.MuteOn
	case event.Disconnected:
		s.ended = true
		s.reconnecting = false
	default:
		return false
	}
	return true
}

// span is a piece of a row with its decoration (an SGR sequence, or "").
type span struct {
	text string
	sgr  string
}

// SGR sequences of the status row.
const (
	sgrWait      = "\x1b[36m" // cyan: connecting, waiting
	sgrListening = "\x1b[1;32m"
	sgrThinking  = "\x1b[1;33m"
	sgrSpeaking  = "\x1b[1;35m"
	sgrAlert     = "\x1b[1;31m" // reconnecting, muted
)

// spans lays out the status row: the state, the clock, the footer.
func (s *callState) spans(limit time.Duration, footer string) []span {
	spin := string(spinnerFrames[int(s.elapsed/spinnerStep)%len(spinnerFrames)])
	var row []span
	switch {
	case s.ended:
		row = append(row, span{markEnded + " call ended", ""})
	case s.rejoining != "":
		row = append(row, span{spin + " rejoining (" + s.rejoining + ")…", sgrAlert})
	case s.reconnecting:
		row = append(row, span{spin + " reconnecting…", sgrAlert})
	case !s.connected:
		row = append(row, span{spin + " connecting…", sgrWait})
	case !s.agentHere:
		row = append(row, span{spin + " waiting for the agent…", sgrWait})
	default:
		row = append(row, agentSpan(s.agentState, spin))
	}
	if s.muted {
		row = append(row, span{"  ", ""}, span{"muted", sgrAlert})
	}
	row = append(row, span{"  " + s.clock(limit), sgrDim})
	if footer != "" {
		row = append(row, span{"   " + footer, ""})
	}
	return row
}

func agentSpan(state, spin string) span {
	switch state {
	case "listening":
		return span{markListening + " listening", sgrListening}
	case "thinking":
		return span{spin + " thinking", sgrThinking}
	case "speaking":
		return span{markSpeaking + " speaking", sgrSpeaking}
	case "idle":
		return span{markIdle + " idle", ""}
	case "", "initializing":
		return span{spin + " agent initializing…", sgrWait}
	}
	return span{markIdle + " " + oneLine(state), ""}
}

// clock is the call's time, from its Connected event (before it, the time
// spent connecting), and the time left when the call has a limit.
func (s *callState) clock(limit time.Duration) string {
	if !s.connected {
		return minSec(s.elapsed)
	}
	inCall := max(s.elapsed-s.connectedAt, 0)
	if limit <= 0 {
		return minSec(inCall)
	}
	return minSec(inCall) + " · " + minSec(max(limit-inCall, 0)) + " left"
}

// minSec is d as m:ss, or h:mm:ss from an hour on, in whole seconds
// (rounded down: a limit's last second reads 0:00 only when it is over).
func minSec(d time.Duration) string {
	sec := int64(d / time.Second)
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// plainText is a row's text without decoration.
func plainText(row []span) string {
	var b strings.Builder
	for _, s := range row {
		b.WriteString(s.text)
	}
	return b.String()
}

// appendSpans writes row cut to cols columns as fitHead cuts (an ellipsis
// at the end), decorated when color is on, and returns what it wrote
// without decoration.
func appendSpans(b []byte, row []span, cols int, color bool) ([]byte, string) {
	whole := plainText(row)
	shown := fitHead(whole, cols)
	cut := shown != whole
	budget := len(shown)
	if cut {
		budget -= len(ellipsis)
	}
	for _, s := range row {
		if budget <= 0 {
			break
		}
		text := s.text
		if len(text) > budget {
			text = text[:budget]
		}
		budget -= len(text)
		if color && s.sgr != "" {
			b = append(b, s.sgr...)
			b = append(b, text...)
			b = append(b, sgrReset...)
		} else {
			b = append(b, text...)
		}
	}
	if cut {
		b = append(b, ellipsis...)
	}
	return b, shown
}
