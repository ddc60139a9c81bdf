//go:build !noportaudio

// The C half of the PortAudio binding (pa.go): the stream callback, which
// hands each block to Go.

#include <stdint.h>
#include <portaudio.h>
#include "_cgo_export.h"

static int webcall_pa_callback(const void *input, void *output, unsigned long frames,
                               const PaStreamCallbackTimeInfo *timeInfo,
                               PaStreamCallbackFlags statusFlags, void *userData) {
	(void)timeInfo;
	(void)statusFlags;
	webcallPaBlock((uintptr_t)userData, (int16_t *)input, (int16_t *)output, frames);
	return paContinue;
}

PaError webcall_pa_open(PaStream **stream, const PaStreamParameters *in, const PaStreamParameters *out,
                        double rate, unsigned long frames, uintptr_t handle) {
	// The handle is a Go cgo.Handle, an integer: it travels as PortAudio's
	// user data pointer and back without Go ever seeing it as a pointer.
	return Pa_OpenStream(stream, in, out, rate, frames, paNoFlag, webcall_pa_callback, (void *)handle);
}
