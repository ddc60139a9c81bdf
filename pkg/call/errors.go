package call

import "errors"

// Conditions that Run's errors name (failure.Error.Cond), for
// errors.Is(err, call.ErrNoAgent): a program built on this package matches
// them to say what its user can change.
var (
	// ErrNoCredentials: Run was given no source of credentials.
	ErrNoCredentials = errors.New("no credentials for the call")
	// ErrNoAgent: the room was joined, but no agent joined it within
	// Timing.WaitAgent.
	ErrNoAgent = errors.New("no agent joined")
	// ErrConnectionLost: the connection to the server broke and the
	// LiveKit SDK did not recover it within Timing.RecoverTimeout, in a
	// call without a reconnect policy (Options.Reconnect).
	ErrConnectionLost = errors.New("connection lost")
	// ErrRejoinFailed: the connection was lost and the reconnect policy
	// spent its attempts or its time without joining again.
	ErrRejoinFailed = errors.New("could not rejoin")
)
