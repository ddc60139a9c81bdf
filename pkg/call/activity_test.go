package call

import (
	"testing"
	"time"
)

func TestActivityOnsetsAndSilence(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newActivity(func() time.Time { return now }, 400*time.Millisecond)
	loud := make([]int16, 960)
	for i := range loud {
		if i%2 == 0 {
			loud[i] = 8000
		} else {
			loud[i] = -8000
		}
	}
	quiet := make([]int16, 960)

	if err := a.Write(quiet); err != nil {
		t.Fatal(err)
	}
	if !a.LastSpeech().IsZero() {
		t.Fatal("silence counted as speech")
	}
	start := now
	for i := 0; i < 10; i++ { // 200 ms of speech
		_ = a.Write(loud)
		now = now.Add(20 * time.Millisecond)
	}
	now = now.Add(time.Second) // a pause, with no packets at all
	second := now
	_ = a.Write(loud)

	if got := a.FirstSpeech(); !got.Equal(start) {
		t.Fatalf("first speech %v, want %v", got, start)
	}
	if got := a.LastSpeech(); !got.Equal(second) {
		t.Fatalf("last speech %v, want %v", got, second)
	}
	if got := a.OnsetAfter(start.Add(time.Millisecond)); !got.Equal(second) {
		t.Fatalf("onset after the first burst %v, want %v", got, second)
	}
	if got := a.OnsetAfter(second.Add(time.Millisecond)); !got.IsZero() {
		t.Fatalf("onset after everything %v, want none", got)
	}
	if got := a.Samples(); got != 12*960 {
		t.Fatalf("samples %d", got)
	}
}
