package room

import (
	"math"
	"path/filepath"
	"testing"

	"gopkg.in/hraban/opus.v2"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// The encoder is set up for lossy networks: FEC on for the expected
// loss, DTX off, the speech bitrate.
func TestSpeechEncoderSettings(t *testing.T) {
	enc, err := newSpeechEncoder()
	if err != nil {
		t.Fatal(err)
	}
	fec, _ := enc.InBandFEC()
	loss, _ := enc.PacketLossPerc()
	dtx, _ := enc.DTX()
	rate, _ := enc.Bitrate()
	if !fec || loss != OpusExpectedLoss || dtx || rate != OpusBitrate {
		t.Errorf("encoder: fec %v, expected loss %d %%, dtx %v, bitrate %d; want fec, %d %%, no dtx, %d",
			fec, loss, dtx, rate, OpusExpectedLoss, OpusBitrate)
	}
}

// The packets really carry FEC: a frame rebuilt from the next packet's
// FEC copy is much closer to the frame than what packet loss concealment
// guesses without it.
func TestSpeechEncoderPacketsCarryFEC(t *testing.T) {
	clip, err := audio.LoadFile(filepath.Join("..", "..", "testdata", "audio", "hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := newSpeechEncoder()
	if err != nil {
		t.Fatal(err)
	}
	var packets [][]byte
	for i := 0; i+audio.FrameSamples <= len(clip.Samples); i += audio.FrameSamples {
		buf := make([]byte, opusMaxPacket)
		n, err := enc.Encode(clip.Samples[i:i+audio.FrameSamples], buf)
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, buf[:n])
	}
	// Each frame n is decoded three ways after the same few frames before
	// it: from its own packet (the reference), from packet n+1's FEC, and
	// by concealment.
	const warm = 5
	var fecSNR, plcSNR float64
	count := 0
	for n := warm; n+1 < len(packets); n++ {
		ref, fec, plc := make([]int16, audio.FrameSamples), make([]int16, audio.FrameSamples), make([]int16, audio.FrameSamples)
		decodeAfter(t, packets[n-warm:n], func(d *opus.Decoder) error { _, err := d.Decode(packets[n], ref); return err })
		if rms(ref) < 300 {
			continue // only speech tells concealment from recovery
		}
		decodeAfter(t, packets[n-warm:n], func(d *opus.Decoder) error { return d.DecodeFEC(packets[n+1], fec) })
		decodeAfter(t, packets[n-warm:n], func(d *opus.Decoder) error { return d.DecodePLC(plc) })
		fecSNR += snr(ref, fec)
		plcSNR += snr(ref, plc)
		count++
	}
	if count < 20 {
		t.Fatalf("only %d speech frames in hello.wav", count)
	}
	fecSNR, plcSNR = fecSNR/float64(count), plcSNR/float64(count)
	t.Logf("over %d speech frames: FEC recovery %.1f dB SNR, concealment %.1f dB", count, fecSNR, plcSNR)
	if fecSNR < plcSNR+3 {
		t.Errorf("FEC recovery (%.1f dB) is no better than concealment (%.1f dB): the packets carry no FEC", fecSNR, plcSNR)
	}
}

func decodeAfter(t *testing.T, before [][]byte, last func(*opus.Decoder) error) {
	t.Helper()
	d, err := opus.NewDecoder(audio.SampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, audio.FrameSamples)
	for _, p := range before {
		if _, err := d.Decode(p, pcm); err != nil {
			t.Fatal(err)
		}
	}
	if err := last(d); err != nil {
		t.Fatal(err)
	}
}

func rms(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

// snr is the signal-to-noise ratio of got against ref, in dB, floored at
// -10 dB so that one wild frame does not swamp the mean.
func snr(ref, got []int16) float64 {
	var sig, noise float64
	for i := range ref {
		d := float64(ref[i]) - float64(got[i])
		sig += float64(ref[i]) * float64(ref[i])
		noise += d * d
	}
	if noise == 0 {
		return 60
	}
	return max(10*math.Log10(sig/noise), -10)
}
