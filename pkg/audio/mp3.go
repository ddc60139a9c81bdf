package audio

// MP3 is decoded by github.com/hajimehoshi/go-mp3: pure Go, kept by the
// author of Ebiten, fuzzed, and the decoder most Go audio code uses.
//
// It does not say when a file stops early (a frame cut short ends the
// stream) and has no checksums to fail, so webcall first walks the MPEG
// frame headers itself: each header valid, each frame whole, frames back
// to back, as many as the encoder's Xing/Info frame counts. That is header
// arithmetic, not decoding; it also yields the channel count (go-mp3
// always returns stereo) and the length, so a long file is refused before
// it is decoded, and the LAME tag's encoder delay and padding, which
// go-mp3 does not trim.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/hajimehoshi/go-mp3"
)

// mpegHeader is what webcall reads from an MPEG audio frame header.
type mpegHeader struct {
	version  int // 1, 2, or 25 for 2.5
	layer    int // 1, 2 or 3
	rate     int
	channels int
	size     int  // bytes in the frame, header included; 0 for free format
	samples  int  // samples per channel in the frame
	crc      bool // a 16-bit CRC follows the header
}

// Layer III bit rates in kbit/s by index, for MPEG-1 and for MPEG-2/2.5;
// index 0 is "free format", 15 is invalid.
var (
	mp3Bitrates1 = [15]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	mp3Bitrates2 = [15]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}
	mpegRates    = [3]int{44100, 48000, 32000} // MPEG-1; halved for 2, quartered for 2.5
)

// parseMPEGHeader parses the 4-byte frame header at the start of b. It
// accepts any layer (so that MP1 and MP2 can be named in a message) but
// gives a frame size for layer III only.
func parseMPEGHeader(b []byte) (mpegHeader, bool) {
	var h mpegHeader
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return h, false
	}
	switch (b[1] >> 3) & 3 {
	case 0:
		h.version = 25
	case 2:
		h.version = 2
	case 3:
		h.version = 1
	default:
		return h, false
	}
	h.layer = 4 - int((b[1]>>1)&3)
	if h.layer == 4 { // layer bits 00: reserved (and what AAC's ADTS uses)
		return h, false
	}
	brIndex, rateIndex := int(b[2]>>4), int((b[2]>>2)&3)
	if brIndex == 15 || rateIndex == 3 {
		return h, false
	}
	h.rate = mpegRates[rateIndex]
	switch h.version {
	case 2:
		h.rate /= 2
	case 25:
		h.rate /= 4
	}
	h.channels = 2
	if b[3]>>6 == 3 {
		h.channels = 1
	}
	h.crc = b[1]&1 == 0
	if h.layer != 3 {
		return h, true
	}
	padding := int(b[2]>>1) & 1
	if h.version == 1 {
		h.samples = 1152
		h.size = 144000*mp3Bitrates1[brIndex]/h.rate + padding
	} else {
		h.samples = 576
		h.size = 72000*mp3Bitrates2[brIndex]/h.rate + padding
	}
	return h, true
}

// mp3Info is what walkMP3 learns from the frame headers.
type mp3Info struct {
	rate, channels int
	frames         int64 // samples per channel, all audio frames together
	// audio is where the audio frames start: after the encoder's
	// Xing/Info frame, which holds no audio, when there is one.
	audio int
	// From the LAME tag, when there is one: the samples the encoder
	// added before and after the audio, which a gapless decoder drops.
	gapless         bool
	delay, padding  int
	promisedFrames  int64 // frames the Xing/Info frame counts; 0: unknown
	samplesPerFrame int
}

// mp3DecoderDelay is the delay of the MP3 synthesis filter bank, in
// samples, which the LAME tag's encoder delay does not include. It is the
// same for every standard decoder, go-mp3 included (measured on
// testdata/audio/hello.mp3: 576 + 529 samples of lag before trimming).
const mp3DecoderDelay = 529

// parseXing reads the Xing/Info frame that lame and ffmpeg write first:
// frame count, then (in a LAME tag) the encoder delay and padding. ok is
// false when frame is an ordinary audio frame.
func parseXing(frame []byte, h mpegHeader, info *mp3Info) bool {
	// The tag follows the side information, whose size depends on the
	// version and the channel count.
	side := 32
	switch {
	case h.version == 1 && h.channels == 1, h.version != 1 && h.channels == 2:
		side = 17
	case h.version != 1:
		side = 9
	}
	off := 4 + side
	if h.crc {
		off += 2
	}
	if len(frame) < off+8 || (string(frame[off:off+4]) != "Xing" && string(frame[off:off+4]) != "Info") {
		return false
	}
	flags := binary.BigEndian.Uint32(frame[off+4:])
	p := off + 8
	if flags&1 != 0 && len(frame) >= p+4 {
		info.promisedFrames = int64(binary.BigEndian.Uint32(frame[p:]))
		p += 4
	}
	if flags&2 != 0 { // byte count
		p += 4
	}
	if flags&4 != 0 { // seek table
		p += 100
	}
	if flags&8 != 0 { // quality
		p += 4
	}
	// The LAME tag (also written by ffmpeg as "Lavc"/"Lavf"): 9 bytes
	// of encoder name, 12 more bytes, then 12 bits of delay and 12 of
	// padding.
	if len(frame) >= p+24 && (string(frame[p:p+4]) == "LAME" || string(frame[p:p+3]) == "Lav") {
		d := frame[p+21:]
		info.delay = int(d[0])<<4 | int(d[1])>>4
		info.padding = int(d[1]&0x0F)<<8 | int(d[2])
		info.gapless = true
	}
	return true
}

// walkMP3 checks that data (the bytes after any ID3v2 tag) is MP3 frames
// back to back, possibly followed by an ID3v1 or APE tag.
func walkMP3(data []byte) (mp3Info, error) {
	var info mp3Info
	first, ok := parseMPEGHeader(data)
	switch {
	case !ok:
		return info, detailf(ErrCorrupt, "MP3 file is damaged: no MPEG audio frame after its ID3 tag")
	case first.layer != 3:
		return info, detailf(ErrUnsupportedFormat, "unsupported MPEG audio: layer %d (MP%d), webcall reads layer 3 (MP3)", first.layer, first.layer)
	case first.size == 0:
		return info, detailf(ErrUnsupportedFormat, "unsupported MP3 format: free-format bit rate")
	case first.version != 1:
		// go-mp3 decodes the low rates of MPEG-2 and 2.5 without an
		// error but wrongly (distorted, several dB too loud: its issue
		// #39), and a turn that sounds wrong to the agent's speech
		// recognition is worse than a refusal.
		v := "2"
		if first.version == 25 {
			v = "2.5"
		}
		return info, detailf(ErrUnsupportedFormat, "unsupported MP3 format: MPEG-%s at %d Hz, webcall decodes MPEG-1 MP3 (32, 44.1 or 48 kHz) only", v, first.rate)
	}
	info.rate, info.channels, info.samplesPerFrame = first.rate, first.channels, first.samples
	if first.size <= len(data) && parseXing(data[:first.size], first, &info) {
		info.audio = first.size
	}
	n := 0
	for off := info.audio; off < len(data); n++ {
		rest := data[off:]
		if isTrailingTag(rest) {
			break
		}
		h, ok := parseMPEGHeader(rest)
		if !ok || h.layer != 3 || h.size == 0 {
			if len(rest) < 4 {
				return info, detailf(ErrTruncated, "MP3 file is truncated: it ends inside the header of frame %d", n)
			}
			return info, detailf(ErrCorrupt, "MP3 file is damaged: no frame header where frame %d should start (byte %d)", n, off)
		}
		if h.rate != info.rate {
			return info, detailf(ErrCorrupt, "MP3 file is damaged: frame %d is at %d Hz, the first at %d Hz", n, h.rate, info.rate)
		}
		if len(rest) < h.size {
			return info, detailf(ErrTruncated, "MP3 file is truncated: it ends inside frame %d (%d of its %d bytes), after %s of audio",
				n, len(rest), h.size, shortDuration(framesDuration(info.frames, info.rate)))
		}
		info.frames += int64(h.samples)
		off += h.size
	}
	if info.promisedFrames > int64(n) {
		// Cut at a frame boundary: only the count tells.
		return info, detailf(ErrTruncated, "MP3 file is truncated: its header counts %d frames but the file holds %d, %s of audio",
			info.promisedFrames, n, shortDuration(framesDuration(info.frames, info.rate)))
	}
	if n == 0 {
		return info, detailf(ErrEmptyAudio, "no audio in file: the MP3 file holds no audio frames")
	}
	return info, nil
}

// isTrailingTag reports whether b starts with a tag that may follow the
// last frame: ID3v1 (128 bytes, "TAG"), APE or Lyrics3.
func isTrailingTag(b []byte) bool {
	return bytes.HasPrefix(b, []byte("TAG")) && len(b) == 128 ||
		bytes.HasPrefix(b, []byte("APETAGEX")) || bytes.HasPrefix(b, []byte("LYRICS"))
}

// skipID3v2 returns data after its ID3v2 tags (there may be several), or
// ErrTruncated when a tag runs past the end.
func skipID3v2(data []byte) ([]byte, error) {
	for bytes.HasPrefix(data, []byte("ID3")) {
		if len(data) < 10 {
			return nil, detailf(ErrTruncated, "MP3 file is truncated: it ends inside its ID3 tag")
		}
		// The size is "synchsafe": 7 bits in each of 4 bytes.
		size := int(data[6]&0x7F)<<21 | int(data[7]&0x7F)<<14 | int(data[8]&0x7F)<<7 | int(data[9]&0x7F)
		size += 10
		if data[5]&0x10 != 0 { // a footer follows
			size += 10
		}
		if size > len(data) {
			return nil, detailf(ErrTruncated, "MP3 file is truncated: it ends inside its ID3 tag of %d bytes", size)
		}
		data = data[size:]
	}
	return data, nil
}

// decodeTagged decodes a file that starts with an ID3v2 tag or an MP3
// frame: usually MP3, but some tools put ID3 tags in front of FLAC too.
func decodeTagged(data []byte) (*Clip, error) {
	rest, err := skipID3v2(data)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(rest, []byte("fLaC")) {
		return guard("FLAC", func() (*Clip, error) { return decodeFLAC(bytes.NewReader(rest)) })
	}
	if len(rest) == 0 {
		return nil, detailf(ErrEmptyAudio, "no audio in file: an ID3 tag and nothing after it")
	}
	info, err := walkMP3(rest)
	if err != nil {
		return nil, err
	}
	if info.frames > maxFrames(info.rate) {
		return nil, tooLong("MP3", info.frames, info.rate)
	}
	return guard("MP3", func() (*Clip, error) { return decodeMP3(rest[info.audio:], info) })
}

// decodeMP3 decodes frames that walkMP3 has passed.
func decodeMP3(data []byte, info mp3Info) (*Clip, error) {
	d, err := mp3.NewDecoder(bytes.NewReader(data))
	if err != nil {
		return nil, detailf(ErrCorrupt, "MP3 file is damaged: the decoder refuses it (%v)", err)
	}
	if d.SampleRate() != info.rate {
		return nil, detailf(ErrCorrupt, "MP3 file is damaged: the decoder reads %d Hz, the frame headers say %d Hz", d.SampleRate(), info.rate)
	}
	// go-mp3 always writes 16-bit little-endian stereo (a mono file's one
	// channel twice).
	const frameBytes = 4
	limit := maxFrames(info.rate)
	mono := make([]float32, 0, min(info.frames, limit, 1<<20))
	buf := make([]byte, 4096*frameBytes)
	var carry int
	for {
		n, err := d.Read(buf[carry:])
		n += carry
		whole := n - n%frameBytes
		if int64(len(mono)+whole/frameBytes) > limit {
			return nil, tooLong("MP3", int64(len(mono)+whole/frameBytes), info.rate)
		}
		for i := 0; i < whole; i += frameBytes {
			l := int16(uint16(buf[i]) | uint16(buf[i+1])<<8)
			r := int16(uint16(buf[i+2]) | uint16(buf[i+3])<<8)
			mono = append(mono, (float32(l)+float32(r))/(2<<15))
		}
		carry = copy(buf, buf[whole:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, detailf(ErrCorrupt, "MP3 file is damaged: after %s of audio, the decoder fails (%v)",
				shortDuration(framesDuration(int64(len(mono)), info.rate)), err)
		}
	}
	return newClip(trimGapless(mono, info), info.rate, info.channels, 0, "mp3")
}

// trimGapless drops what the encoder and the decoder added around the
// audio, when the LAME tag says how much, so the clip lasts as long as
// what was encoded and speech starts where it started.
func trimGapless(mono []float32, info mp3Info) []float32 {
	if !info.gapless {
		return mono
	}
	start := info.delay + mp3DecoderDelay
	keep := int(info.frames) - info.delay - info.padding
	if start >= len(mono) || keep <= 0 {
		return mono // a tag that does not fit the file: keep it all
	}
	return mono[start:min(start+keep, len(mono))]
}
