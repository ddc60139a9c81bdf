package audio

import (
	"testing"
	"time"
)

func TestLatenessQuantiles(t *testing.T) {
	var l Lateness
	if l.Quantile(0.99) != 0 || l.Count() != 0 {
		t.Fatal("an empty distribution has a quantile")
	}
	// 98 frames on time, one 3 ms late, one 250 ms late (past the last
	// bucket).
	for i := 0; i < 98; i++ {
		l.Add(-time.Millisecond)
	}
	l.Add(3 * time.Millisecond)
	l.Add(250 * time.Millisecond)
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, latenessStep},             // on time, reported as the bucket's edge
		{0.98, latenessStep},            // the 98th frame
		{0.99, 3100 * time.Microsecond}, // the 99th: 3 ms, to its bucket's edge
		{1, 250 * time.Millisecond},     // the last: capped at the true maximum
	} {
		if got := l.Quantile(tc.q); got != tc.want {
			t.Errorf("q%.2f = %v, want %v", tc.q, got, tc.want)
		}
	}
	if l.Max() != 250*time.Millisecond || l.Count() != 100 {
		t.Errorf("max %v count %d", l.Max(), l.Count())
	}
}
