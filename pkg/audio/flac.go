package audio

// FLAC is decoded by github.com/mewkiz/flac: pure Go (no C library to
// install), streaming frame by frame, and it checks each frame's CRC-8 and
// CRC-16, so a damaged file fails instead of playing noise.

import (
	"errors"
	"io"

	"github.com/mewkiz/flac"
)

// decodeFLAC decodes a FLAC stream as it is read, averaging channels as
// they come so that only mono is kept.
func decodeFLAC(r io.Reader) (*Clip, error) {
	s, err := flac.New(r)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, detailf(ErrTruncated, "FLAC file is truncated: it ends inside its header")
		}
		return nil, detailf(ErrCorrupt, "FLAC file is damaged: its header does not parse (%v)", err)
	}
	info := s.Info
	rate, channels := int(info.SampleRate), int(info.NChannels)
	if err := checkLayout("FLAC", rate, channels); err != nil {
		return nil, err
	}
	limit := maxFrames(rate)
	// NSamples is 0 when the encoder did not know the length (a stream);
	// otherwise it both refuses a long file before decoding it and tells
	// a file cut at a frame boundary from a whole one.
	total := int64(info.NSamples)
	if total > limit {
		return nil, tooLong("FLAC", total, rate)
	}
	mono := make([]float32, 0, min(max(total, int64(rate)), limit, 1<<20))
	for frameNum := 0; ; frameNum++ {
		fr, err := s.ParseNext()
		if err == io.EOF {
			break
		}
		if err != nil {
			at := shortDuration(framesDuration(int64(len(mono)), rate))
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, detailf(ErrTruncated, "FLAC file is truncated: it ends inside frame %d, after %s of audio", frameNum, at)
			}
			return nil, detailf(ErrCorrupt, "FLAC file is damaged: frame %d, after %s of audio: %v", frameNum, at, err)
		}
		n := int(fr.BlockSize)
		bits := int(fr.BitsPerSample)
		if bits == 0 {
			bits = int(info.BitsPerSample)
		}
		if len(fr.Subframes) != channels || bits < 4 || bits > 32 {
			return nil, detailf(ErrCorrupt, "FLAC file is damaged: frame %d has %d channels of %d bits, the header says %d of %d",
				frameNum, len(fr.Subframes), bits, channels, info.BitsPerSample)
		}
		for _, sf := range fr.Subframes {
			if len(sf.Samples) < n {
				return nil, detailf(ErrCorrupt, "FLAC file is damaged: frame %d is shorter than its block size", frameNum)
			}
		}
		if int64(len(mono)+n) > limit {
			return nil, tooLong("FLAC", int64(len(mono)+n), rate)
		}
		scale := 1 / (float32(int64(1)<<(bits-1)) * float32(channels))
		for i := 0; i < n; i++ {
			var sum int64
			for _, sf := range fr.Subframes {
				sum += int64(sf.Samples[i])
			}
			mono = append(mono, float32(sum)*scale)
		}
	}
	if total > 0 && int64(len(mono)) < total {
		return nil, detailf(ErrTruncated, "FLAC file is truncated: the header promises %s of audio but the file ends after %s",
			shortDuration(framesDuration(total, rate)), shortDuration(framesDuration(int64(len(mono)), rate)))
	}
	return newClip(mono, rate, channels, int(info.BitsPerSample), "flac")
}
