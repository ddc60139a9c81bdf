package device

import "errors"

// The conditions of device errors. Every error this package returns is a
// *failure.Error of kind Device whose Cond is one of these, so a caller
// can tell them apart with errors.Is and give advice in its own terms
// (the command line names its flags).
var (
	// ErrNoDevice: there are no devices for the direction at all (no
	// sound card, no sound server).
	ErrNoDevice = errors.New("no audio devices")
	// ErrNoDefault: devices exist but none is the default, and none was
	// named.
	ErrNoDefault = errors.New("no default audio device")
	// ErrNotFound: the device named (by index or name) does not exist or
	// cannot do the direction asked for.
	ErrNotFound = errors.New("audio device not found")
	// ErrAmbiguous: the name given matches several devices.
	ErrAmbiguous = errors.New("audio device name matches several devices")
	// ErrBusy: another program holds the device.
	ErrBusy = errors.New("audio device busy")
	// ErrUnusable: the device cannot open a stream in any format webcall
	// can use.
	ErrUnusable = errors.New("audio device unusable")
	// ErrAudioSystem: PortAudio cannot start, or the sound server does
	// not answer.
	ErrAudioSystem = errors.New("audio system unavailable")
	// ErrLost: a device stopped delivering or taking audio mid-call.
	ErrLost = errors.New("audio device lost")
	// ErrUnsupported: this build has no audio device support
	// (-tags noportaudio).
	ErrUnsupported = errors.New("audio devices not supported by this build")
)
