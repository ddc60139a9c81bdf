package main

import (
	"context"
	"sync"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/transcript"
)

// The live area's clock: while a call runs with its transcript drawn live
// on a terminal (the TTY renderer) and progress shown (no --quiet), one
// goroutine ticks the status row every liveInterval, for its clock and
// spinner, and on a call through the microphone takes a reading of the
// level meter (meter.go) every meterInterval for the row's end. The call
// command starts it with startLiveArea and ends it with the returned stop,
// which waits for it and removes the meter.

// liveInterval is how often the status row is ticked: a spinner's frame.
// The TTY writes only when the row's text changed.
const liveInterval = 100 * time.Millisecond

// liveScreen is what the goroutine draws on: a *transcript.TTY.
type liveScreen interface {
	Tick(elapsed time.Duration) error
	SetFooter(text string) error
}

var _ liveScreen = (*transcript.TTY)(nil)

// startLiveArea starts the live area's goroutine when render is a TTY and
// progress is shown. It returns the input and output the call should use
// (metered on a call through the microphone) and the function that stops
// the goroutine (it may be called more than once). Otherwise it returns
// them unchanged and a stop that does nothing. elapsed is the time since
// the call's time zero, the clock of its events.
func startLiveArea(o *callOptions, render transcript.Renderer, aud *callAudio, elapsed func() time.Duration) (audio.Source, audio.Sink, func()) {
	tty, ok := render.(*transcript.TTY)
	if !ok || o.quiet {
		return aud.Input, aud.Output, func() {}
	}
	input, output := aud.Input, aud.Output
	var m *levelMeter
	if aud.Input != nil {
		m = newLevelMeter(nil)
		input, output = &meteredSource{Source: aud.Input, meter: m.mic}, &meteredSink{meter: m.agent, out: aud.Output}
	}
	return input, output, runLiveArea(tty, m, elapsed, liveInterval)
}

// runLiveArea ticks screen every interval, with a meter reading every
// meterInterval when m is not nil, until the returned stop, or until the
// screen fails (the terminal is gone). stop removes the meter.
func runLiveArea(screen liveScreen, m *levelMeter, elapsed func() time.Duration, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		readEvery := max(int(meterInterval/interval), 1)
		for n := 0; ; n++ {
			if m != nil && n%readEvery == 0 {
				if screen.SetFooter(m.read()) != nil {
					return
				}
			}
			if screen.Tick(elapsed()) != nil {
				return
			}
			select {
			case <-ctx.Done():
				if m != nil {
					_ = screen.SetFooter("")
				}
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}
