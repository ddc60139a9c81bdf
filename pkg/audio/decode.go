package audio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// readableFormats is what LoadFile and Decode read, for messages.
const readableFormats = "WAV, FLAC, Ogg Opus, Ogg Vorbis or MP3"

const convertHint = `webcall reads WAV (PCM or float), FLAC, Ogg Opus, Ogg Vorbis and MP3: convert with e.g. "ffmpeg -i in.m4a -ar 48000 -ac 1 out.wav" or "sox in.aiff -r 48000 -c 1 out.wav"`

// Bounds on what one file may make webcall allocate, so that a hostile or
// mistaken file (a header claiming hours of audio, an album instead of a
// turn) fails with a message instead of exhausting memory. A turn of a
// conversation lasts seconds; ten minutes of 48 kHz mono is 55 MiB of
// PCM16, plus as much again in float while it is converted.
const (
	// MaxDuration is the longest audio LoadFile and Decode accept.
	MaxDuration = 10 * time.Minute
	// MaxCompressedBytes bounds the Ogg and MP3 files that are read whole
	// before decoding (to check their pages and frames first): ten
	// minutes of Opus or Vorbis at their highest bitrates or of 320 kbit/s
	// MP3 is well under it.
	MaxCompressedBytes = 64 << 20
)

// maxFrames is MaxDuration in frames (samples of one channel) at rate.
func maxFrames(rate int) int64 { return int64(MaxDuration/time.Second) * int64(rate) }

// LoadFile reads an audio file (WAV, FLAC, Ogg Opus, Ogg Vorbis or MP3,
// told apart by their content, not their name) and converts it to 48 kHz
// mono. Every error is a *failure.Error of Kind failure.Input that names the
// file.
func LoadFile(path string) (*Clip, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, inputError(path, detail(err, "no such file"), "check the path")
	case errors.Is(err, fs.ErrPermission):
		return nil, inputError(path, detail(err, "permission denied"), "")
	case err != nil:
		return nil, inputError(path, err, "")
	case st.IsDir():
		return nil, inputError(path, errors.New("is a directory, expected an audio file"), "")
	case st.Size() == 0:
		return nil, inputError(path, fmt.Errorf("%w: the file is empty (0 bytes), expected an audio file", ErrEmptyAudio), "")
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			err = detail(err, "permission denied")
		}
		return nil, inputError(path, err, "")
	}
	defer f.Close()
	return Decode(f, path)
}

// Decode reads an audio file from r, telling its format from the first
// bytes, and converts it to 48 kHz mono (see DecodeWAV for the WAV layouts).
// FLAC and WAV are decoded as they stream; Ogg and MP3 files are read whole
// first (up to MaxCompressedBytes), so that a truncated or damaged file is
// refused before any of it is decoded. name is used in messages only. Every
// error is a *failure.Error of Kind failure.Input wrapping one of the ErrX
// values of this package (or the read error).
func Decode(r io.Reader, name string) (*Clip, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, inputError(name, err, "")
	}
	var c *Clip
	switch f := sniff(head); f {
	case formatWAV:
		return DecodeWAV(br, name)
	case formatFLAC:
		c, err = guard("FLAC", func() (*Clip, error) { return decodeFLAC(br) })
	case formatOgg, formatMP3:
		var data []byte
		data, err = readAllLimited(br)
		if err == nil && f == formatOgg {
			c, err = decodeOgg(data)
		} else if err == nil {
			c, err = decodeTagged(data)
		}
	default:
		err = unknownFormat(head)
	}
	if err != nil {
		return nil, inputError(name, err, hintFor(err))
	}
	return c, nil
}

// hintFor says what to do about one of the ErrX conditions.
func hintFor(err error) string {
	switch {
	case errors.Is(err, ErrNotWAV), errors.Is(err, ErrUnknownFormat), errors.Is(err, ErrUnsupportedFormat):
		return convertHint
	case errors.Is(err, ErrTruncated):
		return "the file was cut short or is still being written: export it again"
	case errors.Is(err, ErrCorrupt):
		return "the file is damaged: export or convert it again"
	case errors.Is(err, ErrTooLong):
		return fmt.Sprintf(`a turn is at most %s: cut the file, e.g. "sox in.flac out.flac trim 0 1:00"`, shortDuration(MaxDuration))
	}
	return ""
}

func inputError(name string, err error, hint string) error {
	return failure.Wrap(failure.Input, err, fmt.Sprintf("input %q", name)).WithHint(hint)
}

// detailError replaces a wrapped error's text (an *os.PathError repeats the
// path the message already names; ErrTruncated speaks of WAV) while keeping
// it for errors.Is/As.
type detailError struct {
	msg string
	err error
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.err }

func detail(err error, msg string) error { return &detailError{msg: msg, err: err} }

// detailf is detail with formatting: the condition cond, said in the terms
// of one format.
func detailf(cond error, format string, args ...any) error {
	return detail(cond, fmt.Sprintf(format, args...))
}

// guard turns a panic inside a decoder library into ErrCorrupt. The pure-Go
// decoders are fuzzed by their authors, but a file is untrusted input and
// one missed bounds check must not take down a call in progress with a
// stack trace.
func guard(format string, decode func() (*Clip, error)) (c *Clip, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, detailf(ErrCorrupt, "%s file is damaged: the decoder failed (%v)", format, p)
		}
	}()
	return decode()
}

// readAllLimited reads a compressed file whole, refusing one larger than
// MaxCompressedBytes.
func readAllLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxCompressedBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxCompressedBytes {
		return nil, detailf(ErrTooLong, "audio file is too long: it is larger than %d MiB, the most webcall reads", MaxCompressedBytes>>20)
	}
	return b, nil
}

// tooLong is the error for audio past MaxDuration.
func tooLong(format string, frames int64, rate int) error {
	return detailf(ErrTooLong, "%s file is too long: %s of audio, webcall reads at most %s",
		format, shortDuration(framesDuration(frames, rate)), shortDuration(MaxDuration))
}

// framesDuration is the length of frames samples (of one channel) at rate,
// in float so that a header's 36-bit sample count cannot overflow it.
func framesDuration(frames int64, rate int) time.Duration {
	return time.Duration(float64(frames) / float64(rate) * float64(time.Second))
}

// shortDuration prints 10m0s as 10m and 1m30.5s as is.
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second / 10).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	return s
}

// newClip converts decoded mono audio at the source rate to a Clip: one
// resampling, in float, so that the audio is quantized to 16 bits once.
func newClip(mono []float32, rate, channels, bits int, format string) (*Clip, error) {
	if len(mono) == 0 {
		return nil, detailf(ErrEmptyAudio, "no audio in file: the %s stream holds no samples", codecNames[format])
	}
	var samples []int16
	if rate == SampleRate {
		samples = make([]int16, len(mono))
		floatToPCM16(samples, mono)
	} else {
		samples = resampleFloatToPCM16(mono, rate, SampleRate)
	}
	return &Clip{Samples: samples, SourceRate: rate, SourceChannels: channels, SourceBits: bits, SourceFormat: format}, nil
}

// checkLayout refuses rates and channel counts outside what DecodeWAV
// accepts, for the same reasons.
func checkLayout(format string, rate, channels int) error {
	if channels < 1 || channels > maxSourceChannels {
		return detailf(ErrUnsupportedFormat, "unsupported %s format: %d channels, expected 1 to %d", format, channels, maxSourceChannels)
	}
	if rate < MinSourceRate || rate > MaxSourceRate {
		return detailf(ErrUnsupportedFormat, "unsupported %s format: sample rate %d Hz, expected %d to %d Hz", format, rate, MinSourceRate, MaxSourceRate)
	}
	return nil
}

// codecNames maps Clip.SourceFormat of the compressed formats to the name
// messages use.
var codecNames = map[string]string{"flac": "FLAC", "opus": "Opus", "vorbis": "Vorbis", "mp3": "MP3"}

// Formats sniff tells apart.
type fileFormat int

const (
	formatUnknown fileFormat = iota
	formatWAV
	formatFLAC
	formatOgg // Opus or Vorbis: decodeOgg reads the codec from the first page
	formatMP3 // or another format behind an ID3v2 tag: decodeTagged looks
)

// sniffBytes is enough for every signature sniff looks at.
const sniffBytes = 64

// sniff tells the format from the first bytes, because names lie: a
// recording saved as .wav by a phone is often MP3 or Ogg.
func sniff(head []byte) fileFormat {
	switch {
	case len(head) == 0:
		// DecodeWAV says the file is empty.
		return formatWAV
	case bytes.HasPrefix([]byte("RIFF"), head[:min(len(head), 4)]),
		bytes.HasPrefix(head, []byte("RIFX")), bytes.HasPrefix(head, []byte("RF64")):
		// Including a RIFF header cut short, which DecodeWAV
		// reports as truncated, and the WAV variants it names.
		return formatWAV
	case bytes.HasPrefix(head, []byte("fLaC")):
		return formatFLAC
	case bytes.HasPrefix(head, []byte("OggS")):
		return formatOgg
	case bytes.HasPrefix(head, []byte("ID3")):
		return formatMP3
	}
	if h, ok := parseMPEGHeader(head); ok && h.layer == 3 {
		return formatMP3
	}
	return formatUnknown
}

// unknownFormat says what the file looks like, since the usual mistake is
// an M4A or a video saved under an audio name.
func unknownFormat(head []byte) error {
	if h, ok := parseMPEGHeader(head); ok {
		return detailf(ErrUnsupportedFormat, "unsupported MPEG audio: layer %d (MP%d), webcall reads layer 3 (MP3)", h.layer, h.layer)
	}
	var kind string
	switch {
	case len(head) >= 2 && head[0] == 0xFF && head[1]&0xF6 == 0xF0:
		kind = "it looks like AAC (ADTS)"
	case len(head) > 8 && string(head[4:8]) == "ftyp":
		kind = "it looks like MP4/M4A"
	case bytes.HasPrefix(head, []byte("FORM")):
		kind = "it looks like AIFF"
	case bytes.HasPrefix(head, []byte("\x1A\x45\xDF\xA3")):
		kind = "it looks like WebM/Matroska"
	case bytes.HasPrefix(head, []byte("#!AMR")):
		kind = "it looks like AMR"
	default:
		kind = fmt.Sprintf("it starts with %q", head[:min(len(head), 8)])
	}
	return fmt.Errorf("%w: %s", ErrUnknownFormat, kind)
}
