package room

import "errors"

// Conditions that Join's errors name (failure.Error.Cond), for
// errors.Is(err, room.ErrConnectTimeout): a program built on this package
// matches them to say which of its own settings to change.
var (
	// ErrConnectTimeout: the server did not complete the connection
	// within the time Join was given.
	ErrConnectTimeout = errors.New("connecting to the server timed out")
	// ErrNoAnswer: something accepted the connection at the server's
	// address but never answered the join (a stuck server, another
	// service on the port, a proxy that holds connections).
	ErrNoAnswer = errors.New("the server accepted the connection but never answered")
)

// Conditions of TLS (tls.go): the server's certificate was refused, or
// the CA file could not be used.
var (
	// ErrUntrustedCertificate: the server's certificate is signed by an
	// authority the roots in use do not hold.
	ErrUntrustedCertificate = errors.New("the server's certificate is signed by an unknown authority")
	// ErrCertificateHost: the certificate is for other host names.
	ErrCertificateHost = errors.New("the server's certificate is for another host")
	// ErrCertificateInvalid: expired, not yet valid, or refused for
	// another reason.
	ErrCertificateInvalid = errors.New("the server's certificate is not valid")
	// ErrNotTLS: the address answers, but not with TLS.
	ErrNotTLS = errors.New("the server does not speak TLS")
	// ErrCAFile: the CA file to trust cannot be read or holds no
	// certificate.
	ErrCAFile = errors.New("the CA file cannot be used")
)
