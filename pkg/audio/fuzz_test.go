package audio

import (
	"bytes"
	"errors"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// An audio file is whatever the user points webcall at: a fuzz target for
// the WAV reader, and one for Decode, which sniffs the format and hands
// the file to the WAV, FLAC, Ogg or MP3 path. Their seeds (f.Add here,
// and testdata/fuzz/FuzzX) are the repository's fixtures, cut short so
// that each run stays fast.

// inputConds are the conditions every refusal of a file names.
var inputConds = []error{ErrNotWAV, ErrUnknownFormat, ErrEmptyAudio, ErrTruncated, ErrCorrupt, ErrUnsupportedFormat, ErrTooLong}

// checkDecodeError: a refused file is an input error that names the file
// and one of the package's conditions, never another kind of failure.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	if k := failure.KindOf(err); k != failure.Input {
		t.Fatalf("kind %v, want input: %v", k, err)
	}
	for _, c := range inputConds {
		if errors.Is(err, c) {
			return
		}
	}
	t.Fatalf("error %q names none of the package's conditions", err)
}

// seedWAVs are small valid and damaged WAV files of every layout the
// reader knows, built in place so the target's seeds need no files.
func seedWAVs() [][]byte {
	tone := le16(0, 1000, -1000, 32767, -32768, 5, 6, 7)
	return [][]byte{
		buildWAV(wavSpec{data: tone}),
		buildWAV(wavSpec{rate: 8000, bits: 8, data: []byte{0, 128, 255, 7}}),
		buildWAV(wavSpec{rate: 44100, channels: 2, data: tone}),
		buildWAV(wavSpec{bits: 24, data: []byte{1, 2, 3, 4, 5, 6}}),
		buildWAV(wavSpec{tag: waveFloat, bits: 32, data: []byte{0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f}}),
		buildWAV(wavSpec{tag: waveFloat, bits: 64, data: make([]byte, 16)}),
		buildWAV(wavSpec{ext: wavePCM, channels: 3, data: le16(1, 2, 3)}),
		buildWAV(wavSpec{data: tone, dataSize: unknownSize}),
		buildWAV(wavSpec{data: tone, dataSize: 2 << 30}),
		buildWAV(wavSpec{data: tone, before: []chunk{{"LIST", []byte("INFOISFT\x03\x00\x00\x00ab\x00")}}}),
	}
}

func FuzzDecodeWAV(f *testing.F) {
	for _, b := range seedWAVs() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeWAV(bytes.NewReader(data), "fuzz.wav")
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		checkClip(t, c)
		// PCM cannot hold more audio than its bytes: at worst one byte
		// a frame at 8 kHz, six samples once at 48 kHz (plus the
		// resampler's tail). Whatever the header claims.
		if max := 6*len(data) + 1024; len(c.Samples) > max {
			t.Fatalf("%d bytes decoded to %d samples, more than %d", len(data), len(c.Samples), max)
		}
	})
}

func FuzzDecode(f *testing.F) {
	for _, b := range seedWAVs()[:3] {
		f.Add(b)
	}
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64"))
	f.Add([]byte("fLaC\x00\x00\x00\x22"))
	f.Add([]byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x00\x00\x00\x20ftypM4A "))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(bytes.NewReader(data), "fuzz")
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		checkClip(t, c)
	})
}

// checkClip holds for every decoded clip: some audio, no more than
// MaxDuration, and a source layout inside the accepted ranges.
func checkClip(t *testing.T, c *Clip) {
	t.Helper()
	if len(c.Samples) == 0 {
		t.Fatal("no error and no audio")
	}
	// The resampler's tail may pass the limit by a few samples.
	if int64(len(c.Samples)) > maxFrames(SampleRate)+SampleRate {
		t.Fatalf("%d samples, more than %v", len(c.Samples), MaxDuration)
	}
	if c.SourceRate < MinSourceRate || c.SourceRate > MaxSourceRate || c.SourceChannels < 1 || c.SourceChannels > maxSourceChannels {
		t.Fatalf("accepted %d channels at %d Hz", c.SourceChannels, c.SourceRate)
	}
}
