package call

import (
	"fmt"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/event"
)

// Warnings are events: the call survives what they report. The command
// that shows the events prints each as a status line too, so that a
// terminal shows it once and the JSON stream carries it.

// playoutCheckEvery is how often the speaker's buffer is asked how it
// fares: often enough to tie a warning to the moment, seldom enough that
// a stuttering speaker cannot flood the output.
const playoutCheckEvery = time.Second

// warn reports something the call survives.
func (c *call) warn(kind, msg string) {
	c.emit(event.Event{Type: event.Warning, Kind: kind, Message: msg})
}

// playoutWatch remembers the speaker's counts at the last check.
type playoutWatch struct {
	checked             time.Time
	underruns, overruns int64
}

// checkPlayout warns when the speaker ran dry or dropped audio since the
// last check. An output that does not report (a WAV file) never warns.
func (c *call) checkPlayout(now time.Time) {
	ps, ok := c.o.Output.(audio.PlayoutReporter)
	if !ok || now.Sub(c.playout.checked) < playoutCheckEvery {
		return
	}
	c.playout.checked = now
	under, over := ps.PlayoutStats()
	if d := under - c.playout.underruns; d > 0 {
		c.warn(event.WarnBuffer, fmt.Sprintf("playback ran dry %s in the agent's speech (%d underruns in all): its audio arrives late or the machine is busy", times(d), under))
	}
	if d := over - c.playout.overruns; d > 0 {
		c.warn(event.WarnBuffer, fmt.Sprintf("playback fell behind and dropped audio %s (%d overruns in all)", times(d), over))
	}
	c.playout.underruns, c.playout.overruns = under, over
}

func times(n int64) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
