package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// envelope is the level of each 10 ms of samples (48 kHz), in dBFS: what
// survives a lossy codec when the waveform does not.
func envelope(s []int16) []float64 {
	const step = SampleRate / 100
	var env []float64
	for ; len(s) >= step; s = s[step:] {
		// Below -60 dBFS is the codecs' noise floor, not speech.
		env = append(env, max(DBFS(RMS(s[:step])), -60))
	}
	return env
}

// envelopeCorrelation is the best Pearson correlation of the envelopes of
// a and b with b shifted by up to maxLag steps of 10 ms, and that lag.
func envelopeCorrelation(a, b []int16, maxLag int) (float64, int) {
	ea, eb := envelope(a), envelope(b)
	best, bestLag := -1.0, 0
	for lag := -maxLag; lag <= maxLag; lag++ {
		var n, sx, sy, sxx, syy, sxy float64
		for i, x := range ea {
			j := i + lag
			if j < 0 || j >= len(eb) {
				continue
			}
			y := eb[j]
			n++
			sx += x
			sy += y
			sxx += x * x
			syy += y * y
			sxy += x * y
		}
		cov := sxy - sx*sy/n
		va, vb := sxx-sx*sx/n, syy-sy*sy/n
		if va > 0 && vb > 0 {
			if r := cov / math.Sqrt(va*vb); r > best {
				best, bestLag = r, lag
			}
		}
	}
	return best, bestLag
}

var compressedFixtures = []struct {
	file     string
	rate     int
	channels int
	bits     int
	format   string
	// Lowest waveform similarity to hello.wav (a lag of a few samples).
	minSimilarity float64
}{
	{"hello.flac", 11025, 1, 16, "flac", 0.99},
	{"hello.opus", 48000, 1, 0, "opus", 0.9},
	{"hello.ogg", 22050, 2, 0, "vorbis", 0.9},
	// Only with the LAME tag's delay trimmed does the waveform line up.
	{"hello.mp3", 32000, 1, 0, "mp3", 0.9},
}

func TestLoadFileCompressed(t *testing.T) {
	ref := loadTestClip(t, "hello.wav")
	for _, tt := range compressedFixtures {
		t.Run(tt.file, func(t *testing.T) {
			c := loadTestClip(t, tt.file)
			if c.SourceRate != tt.rate || c.SourceChannels != tt.channels || c.SourceBits != tt.bits || c.SourceFormat != tt.format {
				t.Errorf("source %d Hz, %d ch, %d bits, %s; want %d Hz, %d ch, %d bits, %s",
					c.SourceRate, c.SourceChannels, c.SourceBits, c.SourceFormat, tt.rate, tt.channels, tt.bits, tt.format)
			}
			// Every decoder trims to the encoded length (a sample at
			// the source rate is 1 to 6 at 48 kHz).
			if d := c.Duration() - ref.Duration(); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("lasts %v, hello.wav %v", c.Duration(), ref.Duration())
			}
			if r, rr := SpeechRatio(c.Samples), SpeechRatio(ref.Samples); math.Abs(r-rr) > 0.05 {
				t.Errorf("speech in %.0f%% of frames, hello.wav %.0f%%", 100*r, 100*rr)
			}
			if r, lag := envelopeCorrelation(ref.Samples, c.Samples, 10); r < 0.95 {
				t.Errorf("level envelope correlates with hello.wav's at %.3f (best at %d0 ms), want > 0.95", r, lag)
			}
			if s := similarity(c.Samples, ref.Samples, 2); s < tt.minSimilarity {
				t.Errorf("similarity to hello.wav %.3f, want > %.2f", s, tt.minSimilarity)
			}
			gain := 20 * math.Log10(RMS(c.Samples)/RMS(ref.Samples))
			if math.Abs(gain) > 1 {
				t.Errorf("level %.2f dB relative to hello.wav, want within 1 dB", gain)
			}
		})
	}
}

// TestDecodeFLACFromStream checks that FLAC needs only an io.Reader.
func TestDecodeFLACFromStream(t *testing.T) {
	b := readFixture(t, "hello.flac")
	c, err := Decode(&trickle{b: b}, "pipe")
	if err != nil {
		t.Fatal(err)
	}
	if want := loadTestClip(t, "hello.flac"); !slicesEqual(c.Samples, want.Samples) {
		t.Error("streamed FLAC decodes differently from the file")
	}
}

func slicesEqual(a, b []int16) bool {
	return len(a) == len(b) && bytes.Equal(int16Bytes(a), int16Bytes(b))
}

func int16Bytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeTemp writes b to a file named name in a temporary folder.
func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFileCompressedDamaged(t *testing.T) {
	for _, tt := range compressedFixtures {
		good := readFixture(t, tt.file)
		name := codecNames[tt.format]
		t.Run(tt.file+"/truncated", func(t *testing.T) {
			for _, cut := range []int{len(good) / 3, len(good) / 2, len(good) - 1} {
				p := writeTemp(t, tt.file, good[:cut])
				_, err := LoadFile(p)
				checkInputError(t, err, p, ErrTruncated, "is truncated")
				if err != nil && !strings.Contains(err.Error(), name) && !strings.Contains(err.Error(), "Ogg") {
					t.Errorf("error %q does not name the format", err)
				}
			}
		})
		t.Run(tt.file+"/corrupt", func(t *testing.T) {
			// 512 bytes of noise in the middle: more than an MP3 frame,
			// so it hits a frame header (MP3 data has no checksum).
			bad := bytes.Clone(good)
			r := rand.New(rand.NewPCG(1, 2))
			for i := len(bad) / 2; i < len(bad)/2+512; i++ {
				bad[i] = byte(r.Uint32())
			}
			p := writeTemp(t, tt.file, bad)
			_, err := LoadFile(p)
			checkInputError(t, err, p, ErrCorrupt, "is damaged")
			if h := failure.HintOf(err); !strings.Contains(h, "damaged") {
				t.Errorf("hint %q", h)
			}
		})
	}
}

// TestDecodeNeverPanics cuts and damages every compressed fixture in many
// places: each result is audio or an input error, never a panic or another
// kind of error.
func TestDecodeNeverPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tt := range compressedFixtures {
		good := readFixture(t, tt.file)
		check := func(what string, b []byte) {
			t.Helper()
			c, err := Decode(bytes.NewReader(b), tt.file)
			if err != nil {
				if k := failure.KindOf(err); k != failure.Input {
					t.Errorf("%s %s: %v error %v", tt.file, what, k, err)
				}
				return
			}
			if len(c.Samples) == 0 {
				t.Errorf("%s %s: no error and no audio", tt.file, what)
			}
		}
		// Few enough to keep the test fast under -race: each decode
		// that succeeds also resamples seconds of audio.
		for i := range 8 {
			check("cut", good[:len(good)*i/8])
		}
		for range 10 {
			bad := bytes.Clone(good)
			at, n := r.IntN(len(bad)), 1+r.IntN(64)
			for i := at; i < min(at+n, len(bad)); i++ {
				bad[i] ^= byte(1 + r.IntN(255))
			}
			check("damaged", bad)
		}
	}
}

func TestDecodeUnknownFormat(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"text", []byte("This is a text file, not audio.\n"), ErrUnknownFormat, `it starts with "This is "`},
		{"m4a", []byte("\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00"), ErrUnknownFormat, "it looks like MP4/M4A"},
		{"aac", []byte{0xFF, 0xF1, 0x50, 0x80, 0, 0, 0, 0}, ErrUnknownFormat, "it looks like AAC"},
		{"aiff", []byte("FORM\x00\x00\x00\x00AIFF"), ErrUnknownFormat, "it looks like AIFF"},
		{"mp2", []byte{0xFF, 0xFD, 0x90, 0x64, 0, 0, 0, 0}, ErrUnsupportedFormat, "layer 2 (MP2), webcall reads layer 3 (MP3)"},
		// go-mp3 decodes these wrongly; see walkMP3.
		{"mpeg-2 mp3", []byte{0xFF, 0xF3, 0x40, 0xC4, 0, 0, 0, 0}, ErrUnsupportedFormat, "MPEG-2 at 22050 Hz"},
		{"ogg speex", oggPage(t, 0, oggFlagBOS|oggFlagEOS, 0, []byte("Speex   1.2")), ErrUnknownFormat, "an Ogg file holding neither Opus nor Vorbis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(tt.data), "x.wav")
			checkInputError(t, err, "x.wav", tt.want, tt.msg)
			if tt.want == ErrUnknownFormat && !strings.Contains(err.Error(), readableFormats) {
				t.Errorf("error %q does not list the formats webcall reads", err)
			}
		})
	}
}

// oggPage builds one Ogg page holding one packet (under 255 bytes).
func oggPage(t testing.TB, seq uint32, flags byte, granule int64, packet []byte) []byte {
	t.Helper()
	if len(packet) >= 255 {
		t.Fatal("oggPage: packet too long")
	}
	p := make([]byte, oggHeaderLen, oggHeaderLen+1+len(packet))
	copy(p, "OggS")
	p[5] = flags
	binary.LittleEndian.PutUint64(p[6:], uint64(granule))
	binary.LittleEndian.PutUint32(p[14:], 7)
	binary.LittleEndian.PutUint32(p[18:], seq)
	p[26] = 1
	p = append(p, byte(len(packet)))
	p = append(p, packet...)
	binary.LittleEndian.PutUint32(p[22:], oggCRC(p))
	return p
}

// lastOggPage returns the offset of the last page of a whole Ogg file.
func lastOggPage(t testing.TB, b []byte) int {
	t.Helper()
	last := -1
	for off := 0; off < len(b); {
		last = off
		nseg := int(b[off+26])
		size := oggHeaderLen + nseg
		for _, l := range b[off+oggHeaderLen : off+oggHeaderLen+nseg] {
			size += int(l)
		}
		off += size
	}
	return last
}

func TestDecodeTooLong(t *testing.T) {
	eleven := int64(11 * 60)
	withGranule := func(file string, granule int64) []byte {
		b := bytes.Clone(readFixture(t, file))
		p := lastOggPage(t, b)
		binary.LittleEndian.PutUint64(b[p+6:], uint64(granule))
		size := len(b) - p
		binary.LittleEndian.PutUint32(b[p+22:], oggCRC(b[p:p+size]))
		return b
	}
	flacLong := bytes.Clone(readFixture(t, "hello.flac"))
	// STREAMINFO's 36-bit sample count ends its bytes 13 to 17 (after
	// "fLaC" and the 4-byte block header); it has no checksum.
	n := uint64(eleven * 11025)
	si := flacLong[8:]
	si[13] = si[13]&0xF0 | byte(n>>32)&0x0F
	binary.BigEndian.PutUint32(si[14:], uint32(n))
	mp3 := readFixture(t, "hello.mp3")
	h, ok := parseMPEGHeader(mp3)
	if !ok {
		t.Fatal("hello.mp3 does not start with a frame")
	}
	mp3Long := bytes.Repeat(mp3[:h.size], int(eleven)*h.rate/h.samples)
	wavLong := buildWAV(wavSpec{data: le16(1), dataSize: uint32(eleven * 48000 * 2)})

	tests := []struct {
		name string
		data []byte
	}{
		{"flac", flacLong},
		{"opus", withGranule("hello.opus", eleven*48000)},
		{"vorbis", withGranule("hello.ogg", eleven*22050)},
		{"mp3", mp3Long},
		{"wav", wavLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Decode(bytes.NewReader(tt.data), "long")
			checkInputError(t, err, "long", ErrTooLong, "11m of audio, webcall reads at most 10m")
			if h := failure.HintOf(err); !strings.Contains(h, "trim") {
				t.Errorf("hint %q does not say how to cut the file", h)
			}
			// Refused from the headers, not after decoding 11 minutes.
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v to refuse", d)
			}
		})
	}
}

func TestDecodeOggStructure(t *testing.T) {
	opus := readFixture(t, "hello.opus")
	tests := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"chained", append(bytes.Clone(opus), opus...), ErrUnsupportedFormat, "more than one stream"},
		{"no last page", opus[:lastOggPage(t, opus)], ErrTruncated, "has no last page"},
		{"missing page", func() []byte {
			// Drop the second page (the comment header).
			first := oggHeaderLen + int(opus[26]) + pageBody(opus)
			second := oggHeaderLen + int(opus[first+26]) + pageBody(opus[first:])
			return append(bytes.Clone(opus[:first]), opus[first+second:]...)
		}(), ErrCorrupt, "pages are missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(tt.data), "x.opus")
			checkInputError(t, err, "x.opus", tt.want, tt.msg)
		})
	}
}

// pageBody is the body length of the Ogg page at the start of b.
func pageBody(b []byte) int {
	n := 0
	for _, l := range b[oggHeaderLen : oggHeaderLen+int(b[26])] {
		n += int(l)
	}
	return n
}

func TestDecodeID3Tagged(t *testing.T) {
	// A minimal ID3v2.4 tag: header and 20 bytes of padding.
	tag := append([]byte("ID3\x04\x00\x00\x00\x00\x00\x14"), make([]byte, 20)...)
	for _, file := range []string{"hello.mp3", "hello.flac"} {
		t.Run(file, func(t *testing.T) {
			want := loadTestClip(t, file)
			c, err := Decode(bytes.NewReader(append(bytes.Clone(tag), readFixture(t, file)...)), file)
			if err != nil {
				t.Fatal(err)
			}
			if c.SourceFormat != want.SourceFormat || !slicesEqual(c.Samples, want.Samples) {
				t.Errorf("with an ID3 tag: %s, %v; without: %s, %v", c.SourceFormat, c.Duration(), want.SourceFormat, want.Duration())
			}
		})
	}
	_, err := Decode(bytes.NewReader(tag[:20]), "x.mp3")
	checkInputError(t, err, "x.mp3", ErrTruncated, "inside its ID3 tag")
}

func TestDecodeEmptyStream(t *testing.T) {
	_, err := Decode(bytes.NewReader(nil), "pipe")
	checkInputError(t, err, "pipe", ErrEmptyAudio, "the file is empty")
	if errors.Is(err, ErrUnknownFormat) {
		t.Error("an empty stream is called an unknown format")
	}
}

// TestDecodeMP3CutAtFrame checks the one truncation the frame headers
// cannot show: a file cut between frames, which only the Info frame's
// count reveals.
func TestDecodeMP3CutAtFrame(t *testing.T) {
	b := readFixture(t, "hello.mp3")
	off := 0
	for range 11 { // the Info frame and 10 audio frames
		h, ok := parseMPEGHeader(b[off:])
		if !ok {
			t.Fatalf("no frame at byte %d", off)
		}
		off += h.size
	}
	_, err := Decode(bytes.NewReader(b[:off]), "x.mp3")
	checkInputError(t, err, "x.mp3", ErrTruncated, "its header counts 88 frames but the file holds 10")
}
