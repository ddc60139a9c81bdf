package control

import "errors"

// Conditions of the errors this package returns (failure.Error.Cond), so
// that a command can match them with errors.Is and say where its user
// gives the address or the token file.
var (
	// ErrBadAddress: the listen address is not host:port.
	ErrBadAddress = errors.New("control API address not host:port")
	// ErrUnprotectedAddress: a listen address other than loopback, without
	// a token.
	ErrUnprotectedAddress = errors.New("control API on a non-loopback address without a token")
	// ErrTokenFile: the token file cannot be read.
	ErrTokenFile = errors.New("control API token file unreadable")
	// ErrTokenFileOpen: the token file may be read or written by others
	// than its owner.
	ErrTokenFileOpen = errors.New("control API token file open to others")
	// ErrTokenEmpty: the token file holds no token.
	ErrTokenEmpty = errors.New("control API token file empty")
	// ErrTokenShort: the token is too short to resist guessing.
	ErrTokenShort = errors.New("control API token too short")
	// ErrTokenMalformed: the token is not one line of printable
	// characters, so a client could not send it in a header.
	ErrTokenMalformed = errors.New("control API token not one line of printable characters")
	// ErrNoController: Options without a Controller.
	ErrNoController = errors.New("control API without a kiosk to control")
)
