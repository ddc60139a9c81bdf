package audio

import (
	"sync"
	"time"
)

// Lateness is the distribution of how late frames went out against their
// schedule, for reports that must say whether the machine kept up. It
// counts in buckets of latenessStep up to latenessMax (later frames share
// the last bucket, and the exact maximum is kept), so recording a frame
// costs an increment and a call of any length takes 16 KB.
type Lateness struct {
	mu      sync.Mutex
	buckets [latenessMax / latenessStep]int64
	n       int64
	max     time.Duration
}

const (
	latenessStep = 100 * time.Microsecond
	latenessMax  = 200 * time.Millisecond
)

// Add records one frame that went out late by d (negative counts as 0).
func (l *Lateness) Add(d time.Duration) {
	d = max(d, 0)
	i := min(int(d/latenessStep), len(l.buckets)-1)
	l.mu.Lock()
	l.buckets[i]++
	l.n++
	l.max = max(l.max, d)
	l.mu.Unlock()
}

// Count is the number of frames recorded.
func (l *Lateness) Count() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Max is the latest any frame was.
func (l *Lateness) Max() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.max
}

// Quantile is the lateness that a share q (0..1) of the frames did not
// exceed, by nearest rank, as the upper edge of its bucket (so it errs
// late, never early), capped at Max. Zero when nothing was recorded.
func (l *Lateness) Quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return 0
	}
	rank := int64(q*float64(l.n) + 0.999999)
	rank = min(max(rank, 1), l.n)
	var seen int64
	for i, c := range l.buckets {
		seen += c
		if seen >= rank {
			if i == len(l.buckets)-1 {
				return l.max // the overflow bucket has no upper edge
			}
			return min(time.Duration(i+1)*latenessStep, l.max)
		}
	}
	return l.max
}
