package kiosk

import (
	"context"
	"errors"
	"time"
)

// State is what the kiosk is doing, as /status and the state metric say.
type State string

const (
	// Starting: the kiosk has not yet opened its devices once.
	StateStarting State = "starting"
	// Idle: ready for the next call.
	StateIdle State = "idle"
	// Calling: a call is on (joining, talking or hanging up).
	StateCalling State = "calling"
	// Retrying: a call could not start (credentials, server) and the
	// kiosk waits before it tries again.
	StateRetrying State = "retrying"
	// WaitingForDevices: a microphone or speaker is missing; the kiosk
	// looks for it again and again and takes no call until it is back.
	StateWaitingForDevices State = "waiting-for-devices"
	// Stopping: the kiosk is shutting down.
	StateStopping State = "stopping"
)

// States lists every State, in the order the state metric exports them.
var States = []State{StateStarting, StateIdle, StateCalling, StateRetrying, StateWaitingForDevices, StateStopping}

// Trigger says what started a call.
type Trigger string

const (
	TriggerAPI      Trigger = "api"       // POST /call
	TriggerSignal   Trigger = "signal"    // SIGUSR1
	TriggerKey      Trigger = "key"       // a key on the terminal
	TriggerAlwaysOn Trigger = "always-on" // the previous call ended
	TriggerRetry    Trigger = "retry"     // a failed start, tried again
)

// Errors of the control operations. The control API maps them to HTTP
// status codes; none of them is a failure of the kiosk.
var (
	// ErrBusy: a call is already on.
	ErrBusy = errors.New("a call is already in progress")
	// ErrNoCall: there is no call to hang up.
	ErrNoCall = errors.New("no call is in progress")
	// ErrNotReady: the devices are missing or credentials could not be
	// had the last time they were asked for.
	ErrNotReady = errors.New("the kiosk is not ready to take a call")
	// ErrStopping: the kiosk is shutting down.
	ErrStopping = errors.New("the kiosk is shutting down")
)

// Status is the kiosk's state for people and monitors (/status). It holds
// no credential: the token, its URL's query and the keys never appear.
type Status struct {
	State     State         `json:"state"`
	Since     time.Time     `json:"since"`
	UptimeS   float64       `json:"uptime_s"`
	Calls     int           `json:"calls"`
	Call      *CallStatus   `json:"call,omitempty"`
	LastCall  *CallStatus   `json:"last_call,omitempty"`
	LastError *ErrorStatus  `json:"last_error,omitempty"`
	Ready     bool          `json:"ready"`
	NotReady  string        `json:"not_ready,omitempty"`
	Retry     *RetryStatus  `json:"retry,omitempty"`
	Devices   *DeviceStatus `json:"devices,omitempty"`
}

// CallStatus is one call, running or ended.
type CallStatus struct {
	// ID is the kiosk's own id of the call, also in its files' names.
	ID      string    `json:"id"`
	Trigger Trigger   `json:"trigger"`
	Room    string    `json:"room,omitempty"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
	// Reason is why it ended (call.Result's reason, or "failed").
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ErrorStatus is the last thing that went wrong.
type ErrorStatus struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
}

// RetryStatus says when a failed start is tried again.
type RetryStatus struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
}

// DeviceStatus says which sound devices the kiosk uses.
type DeviceStatus struct {
	Input   string `json:"input,omitempty"`
	Output  string `json:"output,omitempty"`
	Missing string `json:"missing,omitempty"`
}

// Controller is the kiosk as its triggers and its control API see it.
type Controller interface {
	// StartCall asks for a call; it returns once the call is started
	// (not when it is over), or ErrBusy, ErrNotReady, ErrStopping.
	StartCall(ctx context.Context, by Trigger) (CallStatus, error)
	// Hangup ends the running call and returns once it has ended, or
	// ErrNoCall.
	Hangup(ctx context.Context) (CallStatus, error)
	// Status is the kiosk's state now.
	Status() Status
	// Ready is nil when a call could start now, else why not (wrapping
	// ErrNotReady).
	Ready() error
}
