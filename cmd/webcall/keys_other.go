//go:build !linux && !darwin

package main

import "errors"

// listenKeys has no terminal support here: calls work, without the mute
// key.
func listenKeys(int, func([]byte)) (*keyInput, error) {
	return nil, errors.New("not supported on this system")
}

// pollInput has no poll-based reader here: stdin is read by a plain
// goroutine instead.
func pollInput(int, func([]byte)) (func(), <-chan struct{}, error) {
	return nil, nil, errors.New("not supported on this system")
}
