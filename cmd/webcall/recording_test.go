package main

import (
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// recordingChannels reads the --record file's two channels: the user's
// (left) and the agent's (right).
func recordingChannels(t *testing.T, path string) (left, right []int16) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		t.Fatalf("%s is not a WAV file", path)
	}
	for p := 12; p+8 <= len(data); {
		id, size := string(data[p:p+4]), int(binary.LittleEndian.Uint32(data[p+4:p+8]))
		body := data[p+8 : min(p+8+size, len(data))]
		switch id {
		case "fmt ":
			if ch, bits := binary.LittleEndian.Uint16(body[2:4]), binary.LittleEndian.Uint16(body[14:16]); ch != 2 || bits != 16 {
				t.Fatalf("the recording has %d channels of %d bits, want 2 of 16", ch, bits)
			}
		case "data":
			for i := 0; i+4 <= len(body); i += 4 {
				left = append(left, int16(binary.LittleEndian.Uint16(body[i:])))
				right = append(right, int16(binary.LittleEndian.Uint16(body[i+2:])))
			}
			return left, right
		}
		p += 8 + size + size%2
	}
	t.Fatalf("%s has no data chunk", path)
	return nil, nil
}

// onsetWindow is the resolution at which speech is found in a recording.
const onsetWindow = 5 * time.Millisecond

// speechOnset is where speech first begins in samples (48 kHz): the
// first onsetWindow above the speech threshold webcall and the test agent
// use. False if there is none.
func speechOnset(samples []int16) (time.Duration, bool) {
	n := int(onsetWindow * audio.SampleRate / time.Second)
	for i := 0; i+n <= len(samples); i += n {
		if audio.DBFS(audio.RMS(samples[i:i+n])) > audio.SpeechThresholdDBFS {
			return time.Duration(i) * time.Second / audio.SampleRate, true
		}
	}
	return 0, false
}
