//go:build !linux && !darwin

package main

import "errors"

// listenKeys has no terminal support here: calls work, without the mute
// key.
func listenKeys(int, func([]byte)) (*keyInput, error) {
	return nil, errors.New("not supported on this system")
}
