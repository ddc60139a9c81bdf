package room

import "errors"

// Conditions that Join's errors name (failure.Error.Cond), for
// errors.Is(err, room.ErrConnectTimeout): a program built on this package
// matches them to say which of its own settings to change.
var (
	// ErrConnectTimeout: the server did not complete the connection
	// within the time Join was given.
	ErrConnectTimeout = errors.New("connecting to the server timed out")
)
