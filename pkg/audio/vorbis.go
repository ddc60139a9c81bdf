package audio

// Ogg Vorbis is decoded by Xiph's libvorbisfile through cgo. A pure-Go
// decoder would be preferable, but none is served by the module proxy
// webcall builds from (github.com/jfreymuth/oggvorbis and
// github.com/jfreymuth/vorbis are refused), and webcall already needs cgo
// and Xiph's libraries for Opus; libvorbis-dev is in every distribution
// (the Makefile's DEB_PACKAGES installs it).
//
// The file is handed to libvorbisfile as a copy in C memory with read,
// seek and tell callbacks written in C, so no Go pointer is kept by C and
// no call crosses back into Go; being seekable also lets libvorbisfile
// trim the last packet to the stream's exact length.

/*
#cgo pkg-config: vorbisfile
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <vorbis/vorbisfile.h>

typedef struct {
	const unsigned char *data;
	size_t len;
	size_t pos;
} webcall_memfile;

static size_t webcall_mem_read(void *ptr, size_t size, size_t nmemb, void *src) {
	webcall_memfile *m = src;
	if (size == 0) {
		return 0;
	}
	size_t n = (m->len - m->pos) / size;
	if (n > nmemb) {
		n = nmemb;
	}
	memcpy(ptr, m->data + m->pos, n * size);
	m->pos += n * size;
	return n;
}

static int webcall_mem_seek(void *src, ogg_int64_t off, int whence) {
	webcall_memfile *m = src;
	ogg_int64_t base;
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (ogg_int64_t)m->pos; break;
	case SEEK_END: base = (ogg_int64_t)m->len; break;
	default: return -1;
	}
	if (off < -base || off > (ogg_int64_t)m->len - base) {
		return -1;
	}
	m->pos = (size_t)(base + off);
	return 0;
}

static long webcall_mem_tell(void *src) {
	return (long)((webcall_memfile *)src)->pos;
}

static int webcall_ov_open(webcall_memfile *m, OggVorbis_File *vf) {
	ov_callbacks cb = {webcall_mem_read, webcall_mem_seek, NULL, webcall_mem_tell};
	return ov_open_callbacks(m, vf, NULL, 0, cb);
}

// webcall_channel is pcm[c], since cgo cannot index a C array of pointers.
static float *webcall_channel(float **pcm, int c) {
	return pcm[c];
}
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

// vorbisChunk is how many samples per channel one ov_read_float may return.
const vorbisChunk = 4096

// decodeVorbis decodes an Ogg Vorbis file that checkOgg has passed.
func decodeVorbis(data []byte, s oggStream) (*Clip, error) {
	mf := (*C.webcall_memfile)(C.calloc(1, C.sizeof_webcall_memfile))
	defer C.free(unsafe.Pointer(mf))
	buf := C.CBytes(data)
	defer C.free(buf)
	mf.data = (*C.uchar)(buf)
	mf.len = C.size_t(len(data))
	vf := (*C.OggVorbis_File)(C.calloc(1, C.sizeof_OggVorbis_File))
	defer C.free(unsafe.Pointer(vf))
	if rc := C.webcall_ov_open(mf, vf); rc != 0 {
		return nil, detailf(ErrCorrupt, "Vorbis file is damaged: libvorbisfile refuses its headers (%s)", vorbisError(rc))
	}
	defer C.ov_clear(vf)

	info := C.ov_info(vf, -1)
	if info == nil {
		return nil, detailf(ErrCorrupt, "Vorbis file is damaged: libvorbisfile finds no stream information")
	}
	rate, channels := int(info.rate), int(info.channels)
	if rate != s.rate || channels != s.channels {
		return nil, detailf(ErrCorrupt, "Vorbis file is damaged: its header says %d channels at %d Hz, the decoder %d at %d Hz",
			s.channels, s.rate, channels, rate)
	}
	limit := maxFrames(rate)
	total := int64(C.ov_pcm_total(vf, -1))
	if total > limit {
		return nil, tooLong("Vorbis", total, rate)
	}
	mono := make([]float32, 0, min(max(total, 0), limit, 1<<20))
	scale := 1 / float32(channels)
	var section C.int
	for {
		var pcm **C.float
		n := int(C.ov_read_float(vf, &pcm, vorbisChunk, &section))
		if n == 0 {
			break
		}
		if n < 0 {
			return nil, detailf(ErrCorrupt, "Vorbis file is damaged: after %s of audio, libvorbisfile fails with %s",
				shortDuration(framesDuration(int64(len(mono)), rate)), vorbisError(C.int(n)))
		}
		if int64(len(mono)+n) > limit {
			return nil, tooLong("Vorbis", int64(len(mono)+n), rate)
		}
		start := len(mono)
		mono = append(mono, make([]float32, n)...)
		out := mono[start:]
		for c := range channels {
			for i, v := range unsafe.Slice(C.webcall_channel(pcm, C.int(c)), n) {
				out[i] += float32(v)
			}
		}
		if channels > 1 {
			for i := range out {
				out[i] *= scale
			}
		}
	}
	// A Vorbis decoder may overshoot full scale slightly, which toPCM16
	// clips; a damaged packet could give anything, and NaN or infinity
	// would spread through the resampler's filter.
	for i, v := range mono {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			mono[i] = 0
		}
	}
	return newClip(mono, rate, channels, 0, "vorbis")
}

// vorbisError names libvorbisfile's error codes (vorbis/codec.h).
func vorbisError(rc C.int) string {
	switch rc {
	case C.OV_HOLE:
		return "OV_HOLE (a gap in the data)"
	case C.OV_EREAD:
		return "OV_EREAD"
	case C.OV_EFAULT:
		return "OV_EFAULT"
	case C.OV_EIMPL:
		return "OV_EIMPL (a feature it does not implement)"
	case C.OV_EINVAL:
		return "OV_EINVAL"
	case C.OV_ENOTVORBIS:
		return "OV_ENOTVORBIS (not Vorbis data)"
	case C.OV_EBADHEADER:
		return "OV_EBADHEADER (a bad header)"
	case C.OV_EVERSION:
		return "OV_EVERSION (an unknown Vorbis version)"
	case C.OV_EBADLINK:
		return "OV_EBADLINK"
	case C.OV_ENOSEEK:
		return "OV_ENOSEEK"
	case C.OV_EBADPACKET:
		return "OV_EBADPACKET"
	}
	return fmt.Sprintf("error %d", int(rc))
}
