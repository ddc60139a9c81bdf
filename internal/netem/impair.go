package netem

import (
	"container/heap"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Impairment is what one direction of a UDPRelay does to datagrams. The
// zero value passes them through at once.
type Impairment struct {
	// Loss is the probability that a datagram is dropped.
	Loss float64
	// Delay is added to every datagram, plus a uniform random amount in
	// [-Jitter, +Jitter]. Datagrams whose delays differ by more than the
	// gap between them arrive out of order, as on a real path.
	Delay  time.Duration
	Jitter time.Duration
	// Reorder is the probability that a datagram is held back a further
	// ReorderBy (default 40 ms, two audio packets), so that the next ones
	// overtake it even without jitter.
	Reorder   float64
	ReorderBy time.Duration
	// Block drops everything: a firewall that blocks the protocol.
	Block bool
}

const defaultReorderBy = 40 * time.Millisecond

// Counters are what one direction of a relay has seen.
type Counters struct {
	In, Dropped, Out int64 // datagrams
	BytesOut         int64
	// MaxDropRun is the longest run of datagrams dropped one after
	// another in one flow: what a receiver must conceal at worst.
	MaxDropRun int64
}

type counters struct{ in, dropped, out, bytesOut, maxDropRun atomic.Int64 }

func (c *counters) snapshot() Counters {
	return Counters{In: c.in.Load(), Dropped: c.dropped.Load(), Out: c.out.Load(), BytesOut: c.bytesOut.Load(), MaxDropRun: c.maxDropRun.Load()}
}

func (c *counters) dropRun(n int64) {
	for {
		m := c.maxDropRun.Load()
		if n <= m || c.maxDropRun.CompareAndSwap(m, n) {
			return
		}
	}
}

// pipe applies an Impairment to one direction of one flow: push decides
// each datagram's fate on the reader's goroutine, run delivers delayed
// ones at their time on a goroutine of its own.
type pipe struct {
	imp     func() Impairment
	deliver func([]byte) error
	stats   *counters
	done    <-chan struct{}

	mu      sync.Mutex
	rng     *rand.Rand
	dropRun int64
	queue   dueQueue
	seq     uint64
	wake    chan struct{}
}

func newPipe(imp func() Impairment, deliver func([]byte) error, stats *counters, seed1, seed2 uint64, done <-chan struct{}) *pipe {
	return &pipe{
		imp: imp, deliver: deliver, stats: stats, done: done,
		rng:  rand.New(rand.NewPCG(seed1, seed2)),
		wake: make(chan struct{}, 1),
	}
}

// push takes a datagram the caller no longer uses.
func (p *pipe) push(b []byte) {
	p.stats.in.Add(1)
	imp := p.imp()
	p.mu.Lock()
	drop := imp.Block || (imp.Loss > 0 && p.rng.Float64() < imp.Loss)
	var delay time.Duration
	if !drop {
		delay = imp.Delay
		if imp.Jitter > 0 {
			delay += time.Duration(p.rng.Int64N(int64(2*imp.Jitter)+1)) - imp.Jitter
		}
		if imp.Reorder > 0 && p.rng.Float64() < imp.Reorder {
			by := imp.ReorderBy
			if by == 0 {
				by = defaultReorderBy
			}
			delay += by
		}
	}
	if drop {
		p.dropRun++
		run := p.dropRun
		p.mu.Unlock()
		p.stats.dropped.Add(1)
		p.stats.dropRun(run)
		return
	}
	p.dropRun = 0
	if delay <= 0 && len(p.queue) == 0 {
		// Nothing to wait for and nothing queued ahead: the unimpaired
		// path costs no scheduling at all.
		p.mu.Unlock()
		p.send(b)
		return
	}
	p.seq++
	heap.Push(&p.queue, due{at: time.Now().Add(max(delay, 0)), seq: p.seq, b: b})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pipe) send(b []byte) {
	if p.deliver(b) == nil {
		p.stats.out.Add(1)
		p.stats.bytesOut.Add(int64(len(b)))
	}
}

// run delivers queued datagrams when they are due, until done.
func (p *pipe) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.mu.Lock()
		var ready [][]byte
		now := time.Now()
		for len(p.queue) > 0 && !p.queue[0].at.After(now) {
			ready = append(ready, heap.Pop(&p.queue).(due).b)
		}
		wait := time.Hour
		if len(p.queue) > 0 {
			wait = p.queue[0].at.Sub(now)
		}
		p.mu.Unlock()
		for _, b := range ready {
			p.send(b)
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-p.wake:
		case <-p.done:
			return
		}
	}
}

type due struct {
	at  time.Time
	seq uint64 // keeps datagrams due at the same time in arrival order
	b   []byte
}

type dueQueue []due

func (q dueQueue) Len() int { return len(q) }
func (q dueQueue) Less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].seq < q[j].seq
	}
	return q[i].at.Before(q[j].at)
}
func (q dueQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)   { *q = append(*q, x.(due)) }
func (q *dueQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
