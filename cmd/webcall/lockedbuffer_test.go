package main

import (
	"strings"
	"sync"
)

// lockedBuffer collects a child process's output while a test reads it.
// It lives apart from the device tests, which only build with PortAudio,
// because the end-to-end tests of every build use it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
