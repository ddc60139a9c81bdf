package failure

import (
	"errors"
	"fmt"
	"testing"
)

func TestCondIsMatchedWithoutChangingTheMessage(t *testing.T) {
	errNoURL := errors.New("no server URL")
	errOther := errors.New("other")
	err := fmt.Errorf("fetch: %w", New(Usage, "no LiveKit server URL was given").WithCond(errNoURL).WithHint("give the server's wss:// URL"))
	if !errors.Is(err, errNoURL) {
		t.Error("errors.Is does not find the condition")
	}
	if errors.Is(err, errOther) {
		t.Error("errors.Is finds a condition that was not named")
	}
	if got := err.Error(); got != "fetch: no LiveKit server URL was given" {
		t.Errorf("message = %q", got)
	}
	if errors.Is(New(Usage, "x"), errOther) {
		t.Error("an error without a condition matches one")
	}
}
