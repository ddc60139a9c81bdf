package main

import (
	"context"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// --reconnect is on by default with the microphone only, and either way
// when given; its bounds reach the policy, and bad ones are usage errors.
func TestReconnectFlags(t *testing.T) {
	parse := func(args ...string) *callOptions {
		t.Helper()
		var got *callOptions
		cmd := newCallCmd(&streams{}, func(_ context.Context, o *callOptions) error { got = o; return nil })
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return got
	}
	for _, c := range []struct {
		args []string
		mic  bool
		on   bool
	}{
		{nil, true, true},
		{nil, false, false},
		{[]string{"--reconnect=false"}, true, false},
		{[]string{"--reconnect"}, false, true},
	} {
		p, err := parse(c.args...).reconnect.policy(c.mic)
		if err != nil || (p != nil) != c.on {
			t.Errorf("%v with the microphone %v: policy %+v (%v), want on %v", c.args, c.mic, p, err, c.on)
		}
	}
	o := parse("--reconnect-attempts", "3", "--reconnect-within", "30s", "--recover-timeout", "5s")
	if p, _ := o.reconnect.policy(true); p.MaxAttempts != 3 || p.MaxTime != 30*time.Second || o.reconnect.recoverTimeout != 5*time.Second {
		t.Errorf("policy %+v, recover timeout %s", p, o.reconnect.recoverTimeout)
	}
	for _, args := range [][]string{{"--reconnect-attempts", "0"}, {"--reconnect-within", "0s"}, {"--recover-timeout", "-1s"}} {
		if _, err := parse(args...).reconnect.policy(true); failure.KindOf(err) != failure.Usage {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
