//go:build noportaudio

package device

import (
	"context"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
)

func TestStubFailsClearly(t *testing.T) {
	_, err := Open(context.Background(), Config{Capture: true})
	if failure.KindOf(err) != failure.Device || !strings.Contains(err.Error(), "built without audio device support") ||
		!strings.Contains(failure.HintOf(err), "--input FILE") {
		t.Errorf("Open = %v (hint %q), want a device error saying the build has no audio support", err, failure.HintOf(err))
	}
	if _, err := List(context.Background(), nil); failure.KindOf(err) != failure.Device {
		t.Errorf("List = %v, want a device error", err)
	}
}
