package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// reconnectOptions are the --reconnect flags of `webcall call`: what a
// call does when its connection fails and the LiveKit SDK cannot recover
// it (pkg/call reconnect.go).
type reconnectOptions struct {
	on bool
	// set: --reconnect was given, either way; otherwise the input
	// decides (on for the microphone).
	set            bool
	attempts       int
	within         time.Duration
	recoverTimeout time.Duration
}

func addReconnectFlags(fs *pflag.FlagSet, o *reconnectOptions) {
	fs.BoolVar(&o.on, "reconnect", false, "when the connection is lost, join again with fresh credentials and go on (default on with the microphone, off for --input FILE and --say; --reconnect=false turns it off)")
	fs.IntVar(&o.attempts, "reconnect-attempts", call.DefaultReconnect.MaxAttempts, "with --reconnect: give up after this many attempts to join again")
	fs.DurationVar(&o.within, "reconnect-within", call.DefaultReconnect.MaxTime, "with --reconnect: give up when joining again has not worked within this long of the loss")
	fs.DurationVar(&o.recoverTimeout, "recover-timeout", call.DefaultTiming.RecoverTimeout, "count the connection as lost when it has not recovered this long after it broke")
}

// policy is the call's reconnect policy, nil for none. mic says the call
// talks through the microphone: a live call, where a lost connection is
// better bridged than ended.
func (o reconnectOptions) policy(mic bool) (*call.Reconnect, error) {
	if o.attempts < 1 {
		return nil, failure.Newf(failure.Usage, "--reconnect-attempts must be at least 1 (got %d)", o.attempts).
			WithHint("give the number of attempts to join again, or --reconnect=false for none")
	}
	for name, d := range map[string]time.Duration{"--reconnect-within": o.within, "--recover-timeout": o.recoverTimeout} {
		if d <= 0 {
			return nil, failure.Newf(failure.Usage, "%s must be positive (got %s)", name, d)
		}
	}
	on := o.on
	if !o.set {
		on = mic
	}
	if !on {
		return nil, nil
	}
	return &call.Reconnect{MaxAttempts: o.attempts, MaxTime: o.within}, nil
}
