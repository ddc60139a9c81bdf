//go:build !noportaudio

package device

// A minimal binding of the PortAudio calls webcall needs. It replaces
// github.com/gordonklaus/portaudio, whose callback streams pass an integer
// id to C as a pointer (which Go's pointer checks, on under -race, reject)
// and call back through reflection on every block.

/*
#cgo pkg-config: portaudio-2.0
#include <stdint.h>
#include <stdlib.h>
#include <portaudio.h>

PaError webcall_pa_open(PaStream **stream, const PaStreamParameters *in, const PaStreamParameters *out,
                        double rate, unsigned long frames, uintptr_t handle);
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"time"
	"unsafe"
)

// paError is an error PortAudio returned, with the host API's own error
// when PortAudio passed one on.
type paError struct {
	code     C.PaError
	text     string
	hostCode int64 // the host API's error code (ALSA: a negative errno)
}

func (e *paError) Error() string {
	if e.hostCode != 0 {
		return fmt.Sprintf("%s (host error %d)", e.text, e.hostCode)
	}
	return e.text
}

// busy reports whether the device is held by another program.
func (e *paError) busy() bool {
	const ebusy = 16
	return e.code == C.paDeviceUnavailable || e.hostCode == -ebusy
}

func paErr(code C.PaError) error {
	if code >= 0 {
		return nil
	}
	e := &paError{code: code, text: C.GoString(C.Pa_GetErrorText(code))}
	if code == C.paUnanticipatedHostError {
		if info := C.Pa_GetLastHostErrorInfo(); info != nil {
			e.hostCode = int64(info.errorCode)
			if t := C.GoString(info.errorText); t != "" {
				e.text = t
			}
		}
	}
	return e
}

func paInitialize() error { return paErr(C.Pa_Initialize()) }

func paTerminate() { C.Pa_Terminate() }

// paDevice is PortAudio's description of a device.
type paDevice struct {
	Info
	lowInLatency, lowOutLatency time.Duration
}

// paDevices lists the devices. Call between paInitialize and paTerminate.
func paDevices() ([]paDevice, error) {
	n := C.Pa_GetDeviceCount()
	if n < 0 {
		return nil, paErr(C.PaError(n))
	}
	defIn, defOut := C.Pa_GetDefaultInputDevice(), C.Pa_GetDefaultOutputDevice()
	devs := make([]paDevice, 0, int(n))
	for i := C.PaDeviceIndex(0); i < C.PaDeviceIndex(n); i++ {
		d := C.Pa_GetDeviceInfo(i)
		if d == nil {
			continue
		}
		var host string
		if h := C.Pa_GetHostApiInfo(d.hostApi); h != nil {
			host = C.GoString(h.name)
		}
		devs = append(devs, paDevice{
			Info: Info{
				Index:          int(i),
				Name:           C.GoString(d.name),
				HostAPI:        host,
				InputChannels:  int(d.maxInputChannels),
				OutputChannels: int(d.maxOutputChannels),
				DefaultRate:    float64(d.defaultSampleRate),
				DefaultInput:   i == defIn,
				DefaultOutput:  i == defOut,
			},
			lowInLatency:  seconds(d.defaultLowInputLatency),
			lowOutLatency: seconds(d.defaultLowOutputLatency),
		})
	}
	return devs, nil
}

func seconds(t C.PaTime) time.Duration { return time.Duration(float64(t) * float64(time.Second)) }

// paParams describes a stream: either device may be nil.
type paParams struct {
	in, out         *paDevice
	inCh, outCh     int
	rate            float64
	framesPerBuffer int
}

// c returns PortAudio's parameters for p, 16-bit interleaved, in C memory
// (PortAudio keeps no pointer to them); free them with C.free.
func (p paParams) c() (in, out *C.PaStreamParameters) {
	mk := func(d *paDevice, ch int, latency time.Duration) *C.PaStreamParameters {
		if d == nil {
			return nil
		}
		sp := (*C.PaStreamParameters)(C.calloc(1, C.size_t(unsafe.Sizeof(C.PaStreamParameters{}))))
		sp.device = C.PaDeviceIndex(d.Index)
		sp.channelCount = C.int(ch)
		sp.sampleFormat = C.paInt16
		sp.suggestedLatency = C.PaTime(latency.Seconds())
		return sp
	}
	if p.in != nil {
		in = mk(p.in, p.inCh, p.in.lowInLatency)
	}
	if p.out != nil {
		out = mk(p.out, p.outCh, p.out.lowOutLatency)
	}
	return in, out
}

func freeParams(in, out *C.PaStreamParameters) {
	C.free(unsafe.Pointer(in))
	C.free(unsafe.Pointer(out))
}

// paSupported reports whether the devices can run a stream of p.
func paSupported(p paParams) error {
	in, out := p.c()
	defer freeParams(in, out)
	if r := C.Pa_IsFormatSupported(in, out, C.double(p.rate)); r != C.paFormatIsSupported {
		return paErr(r)
	}
	return nil
}

// paCallback receives each block: in and out are interleaved, for the
// same number of frames; either is nil for a one-way stream. It runs on
// PortAudio's thread and must return quickly.
type paCallback func(in, out []int16)

type callbackState struct {
	fn          paCallback
	inCh, outCh int
}

// paStream is an open PortAudio stream.
type paStream struct {
	s      unsafe.Pointer // PaStream is void
	handle cgo.Handle
	params paParams // what it was opened with, to open it again
}

func paOpen(p paParams, fn paCallback) (*paStream, error) {
	in, out := p.c()
	defer freeParams(in, out)
	h := cgo.NewHandle(&callbackState{fn: fn, inCh: p.inCh, outCh: p.outCh})
	var s unsafe.Pointer
	if err := paErr(C.webcall_pa_open(&s, in, out, C.double(p.rate), C.ulong(p.framesPerBuffer), C.uintptr_t(h))); err != nil {
		h.Delete()
		return nil, err
	}
	return &paStream{s: s, handle: h, params: p}, nil
}

//export webcallPaBlock
func webcallPaBlock(handle C.uintptr_t, in, out *C.int16_t, frames C.ulong) {
	st := cgo.Handle(handle).Value().(*callbackState)
	var inBuf, outBuf []int16
	if in != nil {
		inBuf = unsafe.Slice((*int16)(unsafe.Pointer(in)), int(frames)*st.inCh)
	}
	if out != nil {
		outBuf = unsafe.Slice((*int16)(unsafe.Pointer(out)), int(frames)*st.outCh)
	}
	st.fn(inBuf, outBuf)
}

func (s *paStream) start() error { return paErr(C.Pa_StartStream(s.s)) }

// stop ends the stream after the speaker has played what it holds.
func (s *paStream) stop() error { return paErr(C.Pa_StopStream(s.s)) }

// abort ends the stream at once.
func (s *paStream) abort() error { return paErr(C.Pa_AbortStream(s.s)) }

// close releases the stream; no callback runs after it returns.
func (s *paStream) close() error {
	err := paErr(C.Pa_CloseStream(s.s))
	s.handle.Delete()
	return err
}

// latency returns the stream's input and output latencies as PortAudio
// reports them.
func (s *paStream) latency() (in, out time.Duration) {
	info := C.Pa_GetStreamInfo(s.s)
	if info == nil {
		return 0, 0
	}
	return seconds(info.inputLatency), seconds(info.outputLatency)
}
