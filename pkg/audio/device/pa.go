//go:build !noportaudio

package device

// PortAudio through github.com/gordonklaus/portaudio. This file is all the
// package knows of the module: starting and stopping the library, the
// device list, the stream format, and PortAudio's errors.

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/gordonklaus/portaudio"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// paMu serialises PortAudio's global calls (initialise, terminate, device
// queries, opening, starting and closing streams), which PortAudio does
// not make thread-safe. The module keeps global state of its own (its
// count of Initialize calls, its cached device list) without a lock, so
// every call into it outside a running stream's own reads and writes
// holds paMu too.
var paMu sync.Mutex

// paInitialize starts PortAudio. Call with paMu held.
func paInitialize() error {
	if err := portaudio.Initialize(); err != nil {
		return err
	}
	skipUncheckedStreamIDs.Do(skipStreamIDs)
	return nil
}

// paTerminate stops PortAudio. Call with paMu held.
func paTerminate() { _ = portaudio.Terminate() }

// The module hands each stream's number to C as PortAudio's user-data
// pointer (unsafe.Pointer(id)). Go's pointer checks, which -race turns on,
// reject such a pointer for the numbers 1 to 4095 ("checkptr: pointer
// arithmetic computed bad pointer value"), so the second stream a process
// opens crashes a -race build; from 4096 on the "pointer" points at
// unmapped low memory and passes. The module takes a number for every
// OpenStream call before it looks at the arguments, and an OpenStream
// without buffers fails before it reaches C, so such calls move its
// counter past the range, once per process, for a few microseconds.
// Every device test opens many streams under -race, so a module whose
// numbering changed would fail them rather than a user's program.
var skipUncheckedStreamIDs sync.Once

const firstCheckedStreamID = 4096

func skipStreamIDs() {
	for range firstCheckedStreamID {
		_, _ = portaudio.OpenStream(portaudio.StreamParameters{})
	}
}

// paDevice is PortAudio's description of a device, and ours.
type paDevice struct {
	Info
	pa *portaudio.DeviceInfo
}

// paDevices lists the devices. Call with paMu held, between paInitialize
// and paTerminate.
func paDevices() ([]paDevice, error) {
	devs, err := portaudio.Devices()
	if err != nil {
		return nil, err
	}
	// No default device is not an error: Find says so when one is needed.
	defIn, defOut := -1, -1
	if d, err := portaudio.DefaultInputDevice(); err == nil {
		defIn = d.Index
	}
	if d, err := portaudio.DefaultOutputDevice(); err == nil {
		defOut = d.Index
	}
	out := make([]paDevice, 0, len(devs))
	for _, d := range devs {
		var host string
		if d.HostApi != nil {
			host = d.HostApi.Name
		}
		out = append(out, paDevice{
			Info: Info{
				Index:          d.Index,
				Name:           d.Name,
				HostAPI:        host,
				InputChannels:  d.MaxInputChannels,
				OutputChannels: d.MaxOutputChannels,
				DefaultRate:    d.DefaultSampleRate,
				DefaultInput:   d.Index == defIn,
				DefaultOutput:  d.Index == defOut,
			},
			pa: d,
		})
	}
	return out, nil
}

// paParams describes a stream: either device may be nil.
type paParams struct {
	in, out     *paDevice
	inCh, outCh int
	rate        float64
	frames      int // per period, the stream's unit of reading and writing
}

// minOutputLatency is the least the speaker's buffer holds. The stream's
// goroutine is an ordinary goroutine, not a real-time thread, and on a
// busy machine it can be late by a few tens of milliseconds; with
// PulseAudio's low latency (30 ms, 20 of them slack) that is an underrun,
// which on a null sink costs 2 s of silence (the plugin reconnects, and
// the sink holds the new stream back).
const minOutputLatency = 60 * time.Millisecond

// module returns the module's parameters for p: 16-bit interleaved, at
// each device's low latency (PulseAudio reports 20 ms in, 30 ms out).
func (p paParams) module() portaudio.StreamParameters {
	sp := portaudio.StreamParameters{SampleRate: p.rate, FramesPerBuffer: p.frames}
	if p.in != nil {
		sp.Input = portaudio.StreamDeviceParameters{Device: p.in.pa, Channels: p.inCh, Latency: p.in.pa.DefaultLowInputLatency}
	}
	if p.out != nil {
		sp.Output = portaudio.StreamDeviceParameters{Device: p.out.pa, Channels: p.outCh,
			Latency: max(p.out.pa.DefaultLowOutputLatency, minOutputLatency)}
	}
	return sp
}

// buffers returns a period's interleaved buffers for p (nil for a
// direction p does not have), which also tell the module the sample
// format.
func (p paParams) buffers() (in, out []int16) {
	if p.in != nil {
		in = make([]int16, p.frames*p.inCh)
	}
	if p.out != nil {
		out = make([]int16, p.frames*p.outCh)
	}
	return in, out
}

// args are the buffers as OpenStream and IsFormatSupported take them: one
// per direction the stream has.
func bufferArgs(in, out []int16) []any {
	var args []any
	if in != nil {
		args = append(args, in)
	}
	if out != nil {
		args = append(args, out)
	}
	return args
}

// paSupported reports whether the devices can run a stream of p. Call
// with paMu held.
func paSupported(p paParams) error {
	in, out := p.buffers()
	return portaudio.IsFormatSupported(p.module(), bufferArgs(in, out)...)
}

// paOpen opens a blocking stream of p that reads into in and writes from
// out. Call with paMu held.
func paOpen(p paParams, in, out []int16) (*portaudio.Stream, error) {
	return portaudio.OpenStream(p.module(), bufferArgs(in, out)...)
}

// negotiate picks the stream format: 48 kHz when the devices take it, else
// the output's (or input's) default rate; mono when they take it, else
// two channels (mixed down or duplicated). Call with paMu held.
func negotiate(in, out *paDevice) (paParams, error) {
	rates := []float64{audio.SampleRate}
	for _, dev := range []*paDevice{out, in} {
		if dev != nil && dev.DefaultRate >= 8000 && !slices.Contains(rates, float64(int(dev.DefaultRate))) {
			rates = append(rates, float64(int(dev.DefaultRate)))
		}
	}
	channels := func(max int) []int {
		if max >= 2 {
			return []int{1, 2}
		}
		return []int{1}
	}
	inChans, outChans := []int{0}, []int{0}
	if in != nil {
		inChans = channels(in.InputChannels)
	}
	if out != nil {
		outChans = channels(out.OutputChannels)
	}
	var firstErr error
	for _, rate := range rates {
		for _, ic := range inChans {
			for _, oc := range outChans {
				p := paParams{in: in, out: out, inCh: ic, outCh: oc, rate: rate,
					frames: int(rate * blockDuration.Seconds())}
				err := paSupported(p)
				if err == nil {
					return p, nil
				}
				if firstErr == nil {
					firstErr = err
				}
			}
		}
	}
	return paParams{}, firstErr
}

// isBusy reports whether err is PortAudio's way of saying another program
// holds the device.
func isBusy(err error) bool {
	const ebusy = 16
	var host portaudio.UnanticipatedHostError
	if errors.As(err, &host) {
		return host.Code == -ebusy
	}
	var pe portaudio.Error
	return errors.As(err, &pe) && pe == portaudio.DeviceUnavailable
}

// isXrun reports whether err only says that audio was dropped (the
// microphone's buffer overflowed) or a gap was played (the speaker's ran
// dry): the read or write itself happened.
func isXrun(err error) bool {
	var pe portaudio.Error
	return errors.As(err, &pe) && (pe == portaudio.InputOverflowed || pe == portaudio.OutputUnderflowed)
}

// latencies returns a stream's input and output latencies as PortAudio
// reports them.
func latencies(s *portaudio.Stream) (in, out time.Duration) {
	info := s.Info()
	if info == nil {
		return 0, 0
	}
	return info.InputLatency, info.OutputLatency
}
