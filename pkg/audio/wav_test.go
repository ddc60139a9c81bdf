package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

const testdata = "../../testdata/audio"

func loadTestClip(t testing.TB, name string) *Clip {
	t.Helper()
	c, err := LoadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// similarity is the normalised cross-correlation of a and b over their
// common length, allowing a shift of up to maxLag samples (1: the same
// waveform).
func similarity(a, b []int16, maxLag int) float64 {
	best := 0.0
	for lag := -maxLag; lag <= maxLag; lag++ {
		var ab, aa, bb float64
		for i := range a {
			j := i + lag
			if j < 0 || j >= len(b) {
				continue
			}
			x, y := float64(a[i]), float64(b[j])
			ab += x * y
			aa += x * x
			bb += y * y
		}
		if aa > 0 && bb > 0 {
			best = math.Max(best, ab/math.Sqrt(aa*bb))
		}
	}
	return best
}

func TestLoadFileVariants(t *testing.T) {
	ref := loadTestClip(t, "hello.wav")
	if d := ref.Duration(); d < 2900e6 || d > 3300e6 {
		t.Fatalf("hello.wav lasts %v, want about 3.1 s", d)
	}
	tests := []struct {
		file     string
		rate     int
		channels int
		bits     int
		format   string
		gainDB   float64 // level relative to hello.wav
	}{
		{"hello.wav", 48000, 1, 16, "pcm", 0},
		{"hello_8k.wav", 8000, 1, 16, "pcm", 0},
		{"hello_16k.wav", 16000, 1, 16, "pcm", 0},
		{"hello_44k1_stereo.wav", 44100, 2, 16, "pcm", 0},
		{"hello_s24.wav", 11025, 1, 24, "pcm", 0},
		{"hello_f32.wav", 8000, 1, 32, "float", 0},
		{"hello_u8.wav", 8000, 1, 8, "pcm", 0},
		// Extensible, three channels: hello, hello, silence.
		{"hello_ext_3ch.wav", 8000, 3, 16, "pcm", 20 * math.Log10(2.0/3)},
		{"question.wav", 48000, 1, 16, "pcm", math.NaN()},
		{"reply.wav", 48000, 1, 16, "pcm", math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := loadTestClip(t, tt.file)
			if c.SourceRate != tt.rate || c.SourceChannels != tt.channels || c.SourceBits != tt.bits || c.SourceFormat != tt.format {
				t.Errorf("source %d Hz, %d ch, %d bits, %s; want %d Hz, %d ch, %d bits, %s",
					c.SourceRate, c.SourceChannels, c.SourceBits, c.SourceFormat, tt.rate, tt.channels, tt.bits, tt.format)
			}
			if r := SpeechRatio(c.Samples); r < 0.6 {
				t.Errorf("speech in %.0f%% of frames, want most", 100*r)
			}
			if math.IsNaN(tt.gainDB) {
				return
			}
			// Every variant of hello lasts as long as hello and sounds
			// the same: 8 kHz loses what lies above 4 kHz, 8 bits add
			// noise, but the waveform stays.
			if d := c.Duration() - ref.Duration(); d < -FrameDuration || d > FrameDuration {
				t.Errorf("lasts %v, hello.wav %v", c.Duration(), ref.Duration())
			}
			if s := similarity(c.Samples, ref.Samples, 2); s < 0.95 {
				t.Errorf("similarity to hello.wav %.3f, want > 0.95", s)
			}
			gain := 20 * math.Log10(RMS(c.Samples)/RMS(ref.Samples))
			if math.Abs(gain-tt.gainDB) > 0.5 {
				t.Errorf("level %.2f dB relative to hello.wav, want %.2f", gain, tt.gainDB)
			}
		})
	}
}

// wavSpec describes a WAV file for buildWAV.
type wavSpec struct {
	tag      uint16 // 0: PCM
	channels int
	rate     int
	bits     int
	ext      uint16 // WAVE_FORMAT_EXTENSIBLE with this sub-format (0: plain)
	data     []byte
	dataSize uint32 // 0: len(data)
	before   []chunk
	between  []chunk
}

type chunk struct {
	id   string
	body []byte
}

func appendChunk(b []byte, id string, body []byte, size uint32) []byte {
	b = append(b, id...)
	b = binary.LittleEndian.AppendUint32(b, size)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func buildWAV(s wavSpec) []byte {
	if s.tag == 0 {
		s.tag = wavePCM
	}
	if s.channels == 0 {
		s.channels = 1
	}
	if s.rate == 0 {
		s.rate = 48000
	}
	if s.bits == 0 {
		s.bits = 16
	}
	le := binary.LittleEndian
	block := s.channels * s.bits / 8
	var f []byte
	tag := s.tag
	if s.ext != 0 {
		tag = waveExtensible
	}
	f = le.AppendUint16(f, tag)
	f = le.AppendUint16(f, uint16(s.channels))
	f = le.AppendUint32(f, uint32(s.rate))
	f = le.AppendUint32(f, uint32(s.rate*block))
	f = le.AppendUint16(f, uint16(block))
	f = le.AppendUint16(f, uint16(s.bits))
	if s.ext != 0 {
		f = le.AppendUint16(f, 22)
		f = le.AppendUint16(f, uint16(s.bits))
		f = le.AppendUint32(f, 0)
		f = le.AppendUint16(f, s.ext)
		f = append(f, ksdataSuffix...)
	}
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range s.before {
		b = appendChunk(b, c.id, c.body, uint32(len(c.body)))
	}
	b = appendChunk(b, "fmt ", f, uint32(len(f)))
	for _, c := range s.between {
		b = appendChunk(b, c.id, c.body, uint32(len(c.body)))
	}
	size := s.dataSize
	if size == 0 {
		size = uint32(len(s.data))
	}
	b = appendChunk(b, "data", s.data, size)
	le.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func le16(v ...int16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, uint16(x))
	}
	return b
}

func le24(v ...int32) []byte {
	var b []byte
	for _, x := range v {
		b = append(b, byte(x), byte(x>>8), byte(x>>16))
	}
	return b
}

func le32(v ...int32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

func f32(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func f64(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// TestDecodeWAVSamples checks exact sample values at 48 kHz, where no
// resampling is involved: scaling, mixing down, clipping, skipped chunks.
func TestDecodeWAVSamples(t *testing.T) {
	list := chunk{"LIST", []byte("INFOISFT\x05\x00\x00\x00sox!\x00")}
	odd := chunk{"junk", []byte{1, 2, 3}} // odd size: a pad byte follows
	tests := []struct {
		name string
		spec wavSpec
		want []int16
	}{
		{"pcm16", wavSpec{data: le16(0, 1, -1, 32767, -32768)}, []int16{0, 1, -1, 32767, -32768}},
		{"pcm8 unsigned", wavSpec{bits: 8, data: []byte{128, 0, 255, 129}}, []int16{0, -32768, 32512, 256}},
		{"pcm24", wavSpec{bits: 24, data: le24(0, 0x7FFFFF, -0x800000, 0x100, -0x100)}, []int16{0, 32767, -32768, 1, -1}},
		{"pcm32", wavSpec{bits: 32, data: le32(0, math.MaxInt32, math.MinInt32, 0x10000, -0x18000)}, []int16{0, 32767, -32768, 1, -2}},
		{"float32 clips", wavSpec{tag: waveFloat, bits: 32, data: f32(0, 0.5, -0.5, 1.5, -2, float32(math.NaN()), float32(math.Inf(1)))},
			[]int16{0, 16384, -16384, 32767, -32768, 0, 0}},
		{"float64", wavSpec{tag: waveFloat, bits: 64, data: f64(0.25, -1, 1)}, []int16{8192, -32768, 32767}},
		// The last pair averages to -0.5, which rounds away from zero.
		{"stereo averages", wavSpec{channels: 2, data: le16(1000, 3000, 32767, 32767, -32768, -32768, 32767, -32768)},
			[]int16{2000, 32767, -32768, -1}},
		{"five channels", wavSpec{channels: 5, data: le16(100, 200, 300, 400, 500)}, []int16{300}},
		{"float stereo clips after mixing", wavSpec{tag: waveFloat, bits: 32, channels: 2, data: f32(1.5, 1.5, 0.25, 0.75)},
			[]int16{32767, 16384}},
		{"extensible pcm24", wavSpec{ext: wavePCM, bits: 24, channels: 2, data: le24(0x400000, 0x400000)}, []int16{16384}},
		{"extensible float", wavSpec{ext: waveFloat, bits: 32, data: f32(-0.25)}, []int16{-8192}},
		{"chunks skipped", wavSpec{before: []chunk{odd}, between: []chunk{list, odd}, data: le16(7, 8)}, []int16{7, 8}},
		{"odd data size", wavSpec{bits: 8, data: []byte{128, 129, 127}}, []int16{0, 256, -256}},
		{"partial frame ignored", wavSpec{channels: 2, data: append(le16(10, 20), 5, 0)}, []int16{15}},
		{"length unknown", wavSpec{data: le16(5, 6, 7), dataSize: unknownSize}, []int16{5, 6, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeWAV(bytes.NewReader(buildWAV(tt.spec)), tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if !equalPCM(c.Samples, tt.want) {
				t.Errorf("got %v, want %v", c.Samples, tt.want)
			}
		})
	}
}

func TestDecodeWAVResamplesEveryRate(t *testing.T) {
	// Every rate in range decodes to the same duration at 48 kHz.
	for _, rate := range []int{8000, 11025, 12000, 16000, 22050, 24000, 32000, 37800, 44100, 48000, 88200, 96000} {
		in := sine(rate/2, rate, 440, 0.5) // half a second
		c, err := DecodeWAV(bytes.NewReader(buildWAV(wavSpec{rate: rate, data: le16(in...)})), "tone.wav")
		if err != nil {
			t.Fatalf("%d Hz: %v", rate, err)
		}
		if want := (len(in)*SampleRate + rate - 1) / rate; len(c.Samples) != want {
			t.Errorf("%d Hz: %d samples, want %d", rate, len(c.Samples), want)
		}
		if d := c.Duration() - 500*time.Millisecond; d < -time.Second/time.Duration(rate) || d > time.Second/time.Duration(rate) {
			t.Errorf("%d Hz: lasts %v, want 500ms", rate, c.Duration())
		}
		if amp, _ := toneFit(c.Samples[4800:19200], SampleRate, 440); math.Abs(amp-0.5) > 0.005 {
			t.Errorf("%d Hz: a 440 Hz tone of amplitude 0.5 came out at %.4f", rate, amp)
		}
	}
}

func TestDecodeWAVErrors(t *testing.T) {
	good := buildWAV(wavSpec{data: le16(1, 2, 3, 4)})
	withFmt := func(mod func(f []byte)) []byte {
		b := bytes.Clone(good)
		mod(b[20:36])
		return b
	}
	tests := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrEmptyAudio, "the file is empty (0 bytes), expected a WAV file"},
		{"text", []byte("hello there, this is text"), ErrNotWAV, `expected a RIFF/WAVE header, it starts with "hello th"`},
		{"mp3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00"), ErrNotWAV, "it looks like MP3"},
		{"mp3 without tag", []byte{0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0}, ErrNotWAV, "it looks like MP3"},
		{"ogg", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00"), ErrNotWAV, "it looks like Ogg"},
		{"flac", []byte("fLaC\x00\x00\x00\x22\x00\x00\x00\x00"), ErrNotWAV, "it looks like FLAC"},
		{"riff not wave", []byte("RIFF\x04\x00\x00\x00AVI "), ErrNotWAV, "expected a RIFF/WAVE header"},
		{"rf64", []byte("RF64\xff\xff\xff\xffWAVE"), ErrUnsupportedFormat, "RF64"},
		{"rifx", []byte("RIFX\x00\x00\x00\x24WAVE"), ErrUnsupportedFormat, "big-endian"},
		{"header cut", []byte("RIFF\x24\x00"), ErrTruncated, "the file ends after 6 bytes, inside the RIFF header"},
		{"only riff header", good[:12], ErrTruncated, "no data chunk (the file ends after 12 bytes)"},
		{"chunk header cut", good[:16], ErrTruncated, "inside a chunk header"},
		{"fmt cut", good[:30], ErrTruncated, "the file ends inside the fmt chunk"},
		{"no data chunk", good[:36], ErrTruncated, "no data chunk (the file ends after 36 bytes)"},
		{"data cut", good[:len(good)-3], ErrTruncated, "the data chunk should hold 8 bytes (0s) but the file ends after 5 (0s)"},
		{"other chunk cut", buildWAV(wavSpec{before: []chunk{{"LIST", make([]byte, 100)}}})[:60], ErrTruncated, `inside a "LIST" chunk of 100 bytes`},
		{"empty data", buildWAV(wavSpec{}), ErrEmptyAudio, "the data chunk is empty"},
		{"less than a frame", buildWAV(wavSpec{channels: 2, data: []byte{1, 2}}), ErrEmptyAudio, "the data chunk is empty"},
		{"mulaw", withFmt(func(f []byte) { f[0] = waveMuLaw; f[14] = 8; f[12] = 1 }), ErrUnsupportedFormat, "μ-law encoding, expected PCM or IEEE float"},
		{"alaw", withFmt(func(f []byte) { f[0] = waveALaw }), ErrUnsupportedFormat, "A-law"},
		{"adpcm", withFmt(func(f []byte) { f[0] = waveIMAADPCM }), ErrUnsupportedFormat, "IMA ADPCM"},
		{"unknown tag", withFmt(func(f []byte) { f[0] = 0x42 }), ErrUnsupportedFormat, "format tag 0x0042"},
		{"12-bit", withFmt(func(f []byte) { f[14] = 12 }), ErrUnsupportedFormat, "12-bit PCM, expected 8, 16, 24 or 32-bit"},
		{"16-bit float", buildWAV(wavSpec{tag: waveFloat, data: le16(1)}), ErrUnsupportedFormat, "16-bit float, expected 32 or 64-bit"},
		{"rate too low", buildWAV(wavSpec{rate: 4000, data: le16(1)}), ErrUnsupportedFormat, "sample rate 4000 Hz, expected 8000 to 96000 Hz"},
		{"rate too high", buildWAV(wavSpec{rate: 192000, data: le16(1)}), ErrUnsupportedFormat, "sample rate 192000 Hz"},
		{"no channels", withFmt(func(f []byte) { f[2] = 0 }), ErrUnsupportedFormat, "0 channels, expected 1 to 32"},
		{"block align", withFmt(func(f []byte) { f[12] = 4 }), ErrUnsupportedFormat, "block align 4 does not match 1 channels of 16 bits"},
		{"short fmt", append([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x08\x00\x00\x00"), make([]byte, 8)...), ErrUnsupportedFormat, "fmt chunk of 8 bytes"},
		{"unknown extensible", func() []byte {
			b := buildWAV(wavSpec{ext: wavePCM, data: le16(1)})
			b[20+24+5] = 0x99 // corrupt the GUID's fixed part
			return b
		}(), ErrUnsupportedFormat, "unknown sub-format"},
		{"data before fmt", []byte("RIFF\x00\x00\x00\x00WAVEdata\x02\x00\x00\x00\x01\x00"), ErrUnsupportedFormat, "the data chunk comes before the fmt chunk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeWAV(bytes.NewReader(tt.data), "x.wav")
			checkInputError(t, err, "x.wav", tt.want, tt.msg)
		})
	}
}

// checkInputError checks that err is a failure.Input naming file, wrapping
// want, and saying msg.
func checkInputError(t *testing.T, err error, file string, want error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("error %q is not %q", err, want)
	}
	if k := failure.KindOf(err); k != failure.Input {
		t.Errorf("kind %v, want input", k)
	}
	if prefix := `input "` + file + `": `; !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error %q does not start with %q", err, prefix)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not say %q", err, msg)
	}
	if errors.Is(err, ErrNotWAV) || errors.Is(err, ErrUnsupportedFormat) || errors.Is(err, ErrUnknownFormat) {
		if h := failure.HintOf(err); !strings.Contains(h, "-r 48000 -c 1 out.wav") {
			t.Errorf("hint %q does not say how to convert", h)
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.wav")
	tests := []struct {
		path string
		want error
		msg  string
	}{
		{filepath.Join(testdata, "empty.wav"), ErrEmptyAudio,
			"no audio in file: the file is empty (0 bytes), expected an audio file"},
		{filepath.Join(testdata, "notwav.wav"), ErrUnknownFormat,
			`not an audio file webcall reads (WAV, FLAC, Ogg Opus, Ogg Vorbis or MP3): it starts with "This is "`},
		{filepath.Join(testdata, "truncated.wav"), ErrTruncated,
			"WAV file is truncated: the data chunk should hold 49554 bytes (3.097s) but the file ends after 15956 (997ms)"},
		{filepath.Join(testdata, "mulaw.wav"), ErrUnsupportedFormat,
			"unsupported WAV format: μ-law encoding, expected PCM or IEEE float"},
		{missing, os.ErrNotExist, "no such file"},
		{dir, nil, "is a directory, expected an audio file"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			_, err := LoadFile(tt.path)
			checkInputError(t, err, tt.path, tt.want, tt.msg)
			if want := `input "` + tt.path + `": ` + tt.msg; tt.want != os.ErrNotExist && tt.want != nil && err.Error() != want {
				t.Errorf("message\n%s\nwant\n%s", err, want)
			}
		})
	}
	if os.Geteuid() != 0 { // root reads anything
		locked := filepath.Join(dir, "locked.wav")
		if err := os.WriteFile(locked, buildWAV(wavSpec{data: le16(1)}), 0o200); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(locked)
		checkInputError(t, err, locked, os.ErrPermission, "permission denied")
	}
}

// TestDecodeWAVFromStream checks that DecodeWAV needs only an io.Reader
// (no seeking), reading a file that arrives in small pieces.
func TestDecodeWAVFromStream(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testdata, "hello_16k.wav"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeWAV(io.MultiReader(&trickle{b: b}), "pipe")
	if err != nil {
		t.Fatal(err)
	}
	want := loadTestClip(t, "hello_16k.wav")
	if !equalPCM(c.Samples, want.Samples) {
		t.Error("decoding a trickling stream differs from decoding the file")
	}
}

// trickle returns at most 7 bytes per Read.
type trickle struct{ b []byte }

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], r.b)
	r.b = r.b[n:]
	return n, nil
}

func BenchmarkDecodeWAV(b *testing.B) {
	for _, name := range []string{"hello.wav", "hello_16k.wav", "hello_44k1_stereo.wav"} {
		data, err := os.ReadFile(filepath.Join(testdata, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := DecodeWAV(bytes.NewReader(data), name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
