package audio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// allocated is how many bytes fn allocates, in all goroutines.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestWAVHeaderClaimsAreNotTrusted: a small file whose header claims
// 2 GB of audio is refused from the header, naming the file and the limit;
// one that claims just under the limit fails as truncated. Neither makes
// webcall allocate what the header claims.
func TestWAVHeaderClaimsAreNotTrusted(t *testing.T) {
	dir := t.TempDir()
	underLimit := uint32(maxFrames(SampleRate)-SampleRate) * 2 // 9m59s of 16-bit mono
	tests := []struct {
		name     string
		dataSize uint32
		want     error
		msg      string
	}{
		{"claims 2 GB", 2 << 30, ErrTooLong, "WAV file is too long: 6h12m49.6s of audio, webcall reads at most 10m"},
		{"claims just under the limit", underLimit, ErrTruncated, "the data chunk should hold 57504000 bytes (9m59s) but the file ends after 4000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "claims.wav")
			wav := buildWAV(wavSpec{data: make([]byte, 4000), dataSize: tt.dataSize})
			if err := os.WriteFile(path, wav, 0o644); err != nil {
				t.Fatal(err)
			}
			var err error
			n := allocated(func() { _, err = LoadFile(path) })
			checkInputError(t, err, path, tt.want, tt.msg)
			t.Logf("%d KiB allocated for a %d-byte file claiming %d MiB", n>>10, len(wav), tt.dataSize>>20)
			// The reader's first buffers (a MiB of samples, the
			// bufio reader) are allowed; the claim is not.
			if n > 16<<20 {
				t.Errorf("allocated %d MiB", n>>20)
			}
		})
	}
}

// TestStreamedWAVOverTheLimit: a WAV of unknown length (as streaming
// writers leave it) that really lasts longer than MaxDuration is read up to
// the limit and refused, and the message names it and the limit.
func TestStreamedWAVOverTheLimit(t *testing.T) {
	const rate = 8000
	hdr := buildWAV(wavSpec{rate: rate, bits: 8, dataSize: unknownSize})
	// 11 minutes of 8-bit silence at 8 kHz: 5 MB made as it is read.
	body := io.LimitReader(constReader(128), 11*60*rate)
	var err error
	n := allocated(func() { _, err = Decode(io.MultiReader(bytes.NewReader(hdr), body), "stream.wav") })
	checkInputError(t, err, "stream.wav", ErrTooLong, "of audio, webcall reads at most 10m")
	t.Logf("%d MiB allocated reading %v of 8 kHz audio", n>>20, MaxDuration)
}

// constReader is an endless stream of one byte.
type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}
