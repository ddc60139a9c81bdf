//go:build linux && !noportaudio

package device

/*
int webcall_capture_stderr(void);
*/
import "C"

import (
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

// cLog receives the lines C libraries print to stderr: the logger of the
// latest Open or List. C's stderr is one per process, so this is too.
var cLog atomic.Pointer[slog.Logger]

var (
	cStderrOnce sync.Once
	cStderrMu   sync.Mutex
	cStderrLine strings.Builder // a line still without its newline
)

// captureCStderr routes everything C code prints through stdio's stderr
// (ALSA, JACK and PortAudio's messages) to log at debug level, from now on
// (see the package comment for why). Go's own stderr output is untouched.
func captureCStderr(log *slog.Logger) {
	cLog.Store(log)
	cStderrOnce.Do(func() {
		if C.webcall_capture_stderr() != 0 {
			log.Debug("cannot redirect C's stderr; ALSA and JACK messages may show on the terminal")
		}
	})
}

//export webcallCStderr
func webcallCStderr(p *C.char, n C.int) {
	text := C.GoStringN(p, n)
	cStderrMu.Lock()
	defer cStderrMu.Unlock()
	for {
		line, rest, found := strings.Cut(text, "\n")
		if !found {
			cStderrLine.WriteString(line)
			return
		}
		cStderrLine.WriteString(line)
		if l := cLog.Load(); l != nil && cStderrLine.Len() > 0 {
			l.Debug("audio library: " + cStderrLine.String())
		}
		cStderrLine.Reset()
		text = rest
	}
}
