package audio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"
)

// The range of source rates DecodeWAV accepts: telephone audio up to studio
// audio. Anything outside is far more likely a broken header than audio.
const (
	MinSourceRate = 8000
	MaxSourceRate = 96000
)

// maxSourceChannels bounds the channel count, for the same reason.
const maxSourceChannels = 32

// Clip is a whole audio file, decoded and converted to webcall's format.
type Clip struct {
	// Samples is the audio as 48 kHz mono PCM16.
	Samples []int16
	// What the file held before conversion, for messages and reports.
	SourceRate     int
	SourceChannels int
	// SourceBits is the bits per sample of one channel of WAV and FLAC;
	// 0 for the lossy formats, which have no such thing.
	SourceBits int
	// SourceFormat is "pcm" or "float" (WAV), "flac", "opus", "vorbis" or
	// "mp3". Opus always decodes at 48 kHz, so its SourceRate is 48000
	// whatever rate it was encoded from.
	SourceFormat string
}

// Duration is the length of the clip.
func (c *Clip) Duration() time.Duration {
	return time.Duration(len(c.Samples)) * time.Second / SampleRate
}

// DecodeWAV decodes a RIFF/WAVE stream and converts it to 48 kHz mono: PCM
// of 8 (unsigned), 16, 24 or 32 bits, IEEE float of 32 or 64 bits, plain or
// WAVE_FORMAT_EXTENSIBLE, at 8 to 96 kHz, with any number of channels
// (averaged to mono). Chunks other than fmt and data are skipped. name is
// used in messages only. Every error is a *failure.Error of Kind
// failure.Input wrapping one of ErrNotWAV, ErrEmptyAudio, ErrTruncated,
// ErrUnsupportedFormat or ErrTooLong (or the read error). LoadFile and
// Decode call it for WAV content.
func DecodeWAV(r io.Reader, name string) (*Clip, error) {
	c, err := decodeWAV(r)
	if err != nil {
		return nil, inputError(name, err, hintFor(err))
	}
	return c, nil
}

// The fmt chunk's format tags webcall knows by name, for messages.
const (
	wavePCM        = 0x0001
	waveADPCM      = 0x0002
	waveFloat      = 0x0003
	waveALaw       = 0x0006
	waveMuLaw      = 0x0007
	waveIMAADPCM   = 0x0011
	waveMP3        = 0x0055
	waveExtensible = 0xFFFE
)

var formatNames = map[uint16]string{
	waveADPCM:    "Microsoft ADPCM",
	waveALaw:     "A-law",
	waveMuLaw:    "μ-law",
	waveIMAADPCM: "IMA ADPCM",
	waveMP3:      "MP3",
}

// ksdataSuffix is the tail shared by the KSDATAFORMAT_SUBTYPE GUIDs of
// WAVE_FORMAT_EXTENSIBLE; their first two bytes are the plain format tag.
var ksdataSuffix = []byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// wavFormat is what decoding needs from the fmt chunk.
type wavFormat struct {
	float    bool
	channels int
	rate     int
	bits     int // container bits of one sample
}

func (f wavFormat) frameBytes() int { return f.channels * f.bits / 8 }

func decodeWAV(r io.Reader) (*Clip, error) {
	var hdr [12]byte
	n, err := io.ReadFull(r, hdr[:])
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return nil, fmt.Errorf("%w: the file is empty (0 bytes), expected a WAV file", ErrEmptyAudio)
	case err == io.ErrUnexpectedEOF:
		if bytes.HasPrefix([]byte("RIFF"), hdr[:min(n, 4)]) {
			return nil, fmt.Errorf("%w: the file ends after %d bytes, inside the RIFF header", ErrTruncated, n)
		}
		return nil, notWAV(hdr[:n])
	case err != nil:
		return nil, err
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, notWAV(hdr[:])
	}

	var format *wavFormat
	offset := int64(len(hdr))
	for {
		var ch [8]byte
		n, err := io.ReadFull(r, ch[:])
		switch {
		case n == 0 && err == io.EOF:
			return nil, fmt.Errorf("%w: no data chunk (the file ends after %d bytes)", ErrTruncated, offset)
		case err == io.ErrUnexpectedEOF:
			return nil, fmt.Errorf("%w: the file ends after %d bytes, inside a chunk header", ErrTruncated, offset+int64(n))
		case err != nil:
			return nil, err
		}
		offset += 8
		id := string(ch[0:4])
		size := binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if format != nil {
				return nil, fmt.Errorf("%w: two fmt chunks", ErrUnsupportedFormat)
			}
			format, err = readFormat(r, size)
			if err != nil {
				return nil, err
			}
		case "data":
			if format == nil {
				return nil, fmt.Errorf("%w: the data chunk comes before the fmt chunk that describes it", ErrUnsupportedFormat)
			}
			return readData(r, *format, size)
		default:
			// LIST, fact, cue, bext, JUNK...: nothing webcall needs.
			// Chunks are padded to an even size.
			skip := int64(size) + int64(size&1)
			k, err := io.CopyN(io.Discard, r, skip)
			if err == io.EOF {
				return nil, fmt.Errorf("%w: the file ends after %d bytes, inside a %q chunk of %d bytes", ErrTruncated, offset+k, id, size)
			}
			if err != nil {
				return nil, err
			}
		}
		offset += int64(size) + int64(size&1)
	}
}

// notWAV names what the file looks like, since the usual mistake is an MP3
// or Ogg file with a .wav name.
func notWAV(head []byte) error {
	kind := ""
	switch {
	case bytes.HasPrefix(head, []byte("ID3")), len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0:
		kind = "it looks like MP3"
	case bytes.HasPrefix(head, []byte("OggS")):
		kind = "it looks like Ogg (Vorbis or Opus)"
	case bytes.HasPrefix(head, []byte("fLaC")):
		kind = "it looks like FLAC"
	case bytes.HasPrefix(head, []byte("RIFX")):
		return fmt.Errorf("%w: big-endian RIFX WAV; expected little-endian RIFF", ErrUnsupportedFormat)
	case bytes.HasPrefix(head, []byte("RF64")):
		return fmt.Errorf("%w: RF64 (WAV over 4 GiB); expected a RIFF WAV", ErrUnsupportedFormat)
	case len(head) > 8 && string(head[4:8]) == "ftyp":
		kind = "it looks like MP4/M4A"
	default:
		kind = fmt.Sprintf("it starts with %q", head[:min(len(head), 8)])
	}
	return fmt.Errorf("%w: expected a RIFF/WAVE header, %s", ErrNotWAV, kind)
}

func readFormat(r io.Reader, size uint32) (*wavFormat, error) {
	if size < 16 || size > 1024 {
		return nil, fmt.Errorf("%w: fmt chunk of %d bytes, expected 16 to 40", ErrUnsupportedFormat, size)
	}
	b := make([]byte, int(size)+int(size&1))
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("%w: the file ends inside the fmt chunk", ErrTruncated)
		}
		return nil, err
	}
	tag := binary.LittleEndian.Uint16(b[0:2])
	f := &wavFormat{
		channels: int(binary.LittleEndian.Uint16(b[2:4])),
		rate:     int(binary.LittleEndian.Uint32(b[4:8])),
		bits:     int(binary.LittleEndian.Uint16(b[14:16])),
	}
	blockAlign := int(binary.LittleEndian.Uint16(b[12:14]))
	if tag == waveExtensible {
		// cbSize(2) validBits(2) channelMask(4) subFormat GUID(16).
		if size < 40 {
			return nil, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, expected 40", ErrUnsupportedFormat, size)
		}
		guid := b[24:40]
		if !bytes.Equal(guid[2:], ksdataSuffix) {
			return nil, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE with unknown sub-format %x", ErrUnsupportedFormat, guid)
		}
		// Samples are left-justified in their containers, so decoding
		// by container size is right whatever validBits says.
		tag = binary.LittleEndian.Uint16(guid[0:2])
	}
	switch tag {
	case wavePCM:
		if f.bits != 8 && f.bits != 16 && f.bits != 24 && f.bits != 32 {
			return nil, fmt.Errorf("%w: %d-bit PCM, expected 8, 16, 24 or 32-bit", ErrUnsupportedFormat, f.bits)
		}
	case waveFloat:
		f.float = true
		if f.bits != 32 && f.bits != 64 {
			return nil, fmt.Errorf("%w: %d-bit float, expected 32 or 64-bit", ErrUnsupportedFormat, f.bits)
		}
	default:
		name, ok := formatNames[tag]
		if !ok {
			name = fmt.Sprintf("format tag 0x%04x", tag)
		}
		return nil, fmt.Errorf("%w: %s encoding, expected PCM or IEEE float", ErrUnsupportedFormat, name)
	}
	if f.channels < 1 || f.channels > maxSourceChannels {
		return nil, fmt.Errorf("%w: %d channels, expected 1 to %d", ErrUnsupportedFormat, f.channels, maxSourceChannels)
	}
	if f.rate < MinSourceRate || f.rate > MaxSourceRate {
		return nil, fmt.Errorf("%w: sample rate %d Hz, expected %d to %d Hz", ErrUnsupportedFormat, f.rate, MinSourceRate, MaxSourceRate)
	}
	if blockAlign != f.frameBytes() {
		return nil, fmt.Errorf("%w: block align %d does not match %d channels of %d bits", ErrUnsupportedFormat, blockAlign, f.channels, f.bits)
	}
	return f, nil
}

// unknownSize is what streaming writers put in the data chunk's size when
// they cannot seek back to fill it in: the data runs to the end of the file.
const unknownSize = 0xFFFFFFFF

// readData decodes the data chunk to mono float32 at the source rate, then
// resamples (once, in float, so the audio is quantized to 16 bits once) and
// converts to PCM16.
func readData(r io.Reader, f wavFormat, size uint32) (*Clip, error) {
	fb := f.frameBytes()
	frames := int64(size) / int64(fb)
	toEOF := size == unknownSize
	// The header's size is not trusted for the allocation: a corrupt one
	// must fail as truncated, not exhaust memory first.
	if !toEOF && frames > maxFrames(f.rate) {
		return nil, tooLong("WAV", frames, f.rate)
	}
	mono := make([]float32, 0, min(frames, 1<<20))
	buf := make([]byte, 4096*fb)
	var read int64
	for toEOF || read < frames*int64(fb) {
		want := int64(len(buf))
		if !toEOF {
			want = min(want, frames*int64(fb)-read)
		}
		n, err := io.ReadFull(r, buf[:want])
		whole := n - n%fb
		mono = appendMono(mono, buf[:whole], f)
		read += int64(n)
		if int64(len(mono)) > maxFrames(f.rate) {
			// A streamed WAV of unknown size.
			return nil, tooLong("WAV", int64(len(mono)), f.rate)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if toEOF {
				break
			}
			return nil, fmt.Errorf("%w: the data chunk should hold %d bytes (%s) but the file ends after %d (%s)",
				ErrTruncated, size, f.duration(int64(size)), read, f.duration(read))
		}
		if err != nil {
			return nil, err
		}
	}
	if len(mono) == 0 {
		return nil, fmt.Errorf("%w: the data chunk is empty", ErrEmptyAudio)
	}
	var samples []int16
	if f.rate == SampleRate {
		samples = make([]int16, len(mono))
		floatToPCM16(samples, mono)
	} else {
		samples = resampleFloatToPCM16(mono, f.rate, SampleRate)
	}
	format := "pcm"
	if f.float {
		format = "float"
	}
	return &Clip{Samples: samples, SourceRate: f.rate, SourceChannels: f.channels, SourceBits: f.bits, SourceFormat: format}, nil
}

func (f wavFormat) duration(bytes int64) string {
	d := time.Duration(bytes/int64(f.frameBytes())) * time.Second / time.Duration(f.rate)
	return d.Round(time.Millisecond).String()
}

// appendMono decodes whole frames of b and appends their channel average,
// as floats of full scale 1.0.
func appendMono(dst []float32, b []byte, f wavFormat) []float32 {
	ch := f.channels
	scale := float32(1) / float32(ch)
	bps := f.bits / 8
	for len(b) > 0 {
		var sum float32
		for c := 0; c < ch; c++ {
			s := b[c*bps : (c+1)*bps]
			sum += sampleValue(s, f.float)
		}
		if ch > 1 {
			sum *= scale
		}
		dst = append(dst, sum)
		b = b[ch*bps:]
	}
	return dst
}

// sampleValue decodes one little-endian sample to full scale 1.0. Float
// samples that are not finite become silence rather than poisoning the
// resampler.
func sampleValue(s []byte, isFloat bool) float32 {
	switch len(s) {
	case 1:
		return float32(int(s[0])-128) / (1 << 7)
	case 2:
		return float32(int16(binary.LittleEndian.Uint16(s))) / (1 << 15)
	case 3:
		v := int32(uint32(s[0])<<8|uint32(s[1])<<16|uint32(s[2])<<24) >> 8
		return float32(v) / (1 << 23)
	case 4:
		if isFloat {
			v := math.Float32frombits(binary.LittleEndian.Uint32(s))
			if v != v || math.IsInf(float64(v), 0) {
				return 0
			}
			return v
		}
		return float32(float64(int32(binary.LittleEndian.Uint32(s))) / (1 << 31))
	default: // 8: float64
		v := math.Float64frombits(binary.LittleEndian.Uint64(s))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0
		}
		return float32(v)
	}
}

// floatToPCM16 quantizes full-scale-1.0 floats to PCM16, rounding to the
// nearest step and clipping what lies outside.
func floatToPCM16(dst []int16, src []float32) {
	for i, v := range src {
		dst[i] = toPCM16(v)
	}
}

func toPCM16(v float32) int16 {
	x := float64(v) * 32768
	switch {
	case x >= 32767:
		return 32767
	case x <= -32768:
		return -32768
	}
	return int16(math.Round(x))
}
