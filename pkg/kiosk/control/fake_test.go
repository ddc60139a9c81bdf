package control

import (
	"context"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/kiosk"
)

// fakeKiosk is a Controller that records what it is asked. Its gates,
// when set, hold StartCall or Status until they are closed (StartCall
// also gives up when its context ends), so that tests can hold a request
// in flight.
type fakeKiosk struct {
	mu        sync.Mutex
	starts    []kiosk.Trigger
	hangups   int
	statuses  int
	startErr  error
	hangupErr error
	readyErr  error
	status    kiosk.Status

	startGate  chan struct{}
	statusGate chan struct{}
	// deaf: StartCall waits for its gate even when its context ends, as
	// a wedged kiosk would.
	deaf bool
}

var _ kiosk.Controller = (*fakeKiosk)(nil)

var callStarted = time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)

func (f *fakeKiosk) StartCall(ctx context.Context, by kiosk.Trigger) (kiosk.CallStatus, error) {
	f.mu.Lock()
	f.starts = append(f.starts, by)
	gate, err, deaf := f.startGate, f.startErr, f.deaf
	f.mu.Unlock()
	if gate != nil && deaf {
		<-gate
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return kiosk.CallStatus{}, ctx.Err()
		}
	}
	if err != nil {
		return kiosk.CallStatus{}, err
	}
	return kiosk.CallStatus{ID: "c1", Trigger: by, Room: "lobby", Started: callStarted}, nil
}

func (f *fakeKiosk) Hangup(ctx context.Context) (kiosk.CallStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hangups++
	if f.hangupErr != nil {
		return kiosk.CallStatus{}, f.hangupErr
	}
	return kiosk.CallStatus{ID: "c1", Trigger: kiosk.TriggerAPI, Started: callStarted,
		Ended: callStarted.Add(time.Minute), Reason: "hangup"}, nil
}

func (f *fakeKiosk) Status() kiosk.Status {
	f.mu.Lock()
	f.statuses++
	gate, st := f.statusGate, f.status
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return st
}

func (f *fakeKiosk) Ready() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readyErr
}

func (f *fakeKiosk) startCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.starts)
}

func (f *fakeKiosk) hangupCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hangups
}

func (f *fakeKiosk) triggers() []kiosk.Trigger {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]kiosk.Trigger(nil), f.starts...)
}
