//go:build !linux && !noportaudio

package device

import "log/slog"

// captureCStderr does nothing off Linux: the noisy libraries (ALSA, JACK)
// are Linux's.
func captureCStderr(*slog.Logger) {}
