package room

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/livekit/media-sdk"
	"github.com/livekit/media-sdk/jitter"
	"github.com/pion/rtp"
	"gopkg.in/hraban/opus.v2"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// pcmCollector is a PCM16 writer that keeps what it is given.
type pcmCollector struct {
	mu      sync.Mutex
	samples []int16
}

func (c *pcmCollector) WriteSample(s media.PCM16Sample) error {
	c.mu.Lock()
	c.samples = append(c.samples, s...)
	c.mu.Unlock()
	return nil
}
func (c *pcmCollector) SampleRate() int { return audio.SampleRate }
func (c *pcmCollector) String() string  { return "collector" }
func (c *pcmCollector) Close() error    { return nil }

// Lost packets are made up for, so the agent's audio keeps its length: a
// single loss from the next packet's FEC, the rest of a burst by
// concealment; a gap too long to be loss is left alone.
func TestAgentTrackMakesUpForLoss(t *testing.T) {
	clip, err := audio.LoadFile(filepath.Join("..", "..", "testdata", "audio", "hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := newSpeechEncoder()
	if err != nil {
		t.Fatal(err)
	}
	var packets []*rtp.Packet
	for i := 0; i+audio.FrameSamples <= len(clip.Samples); i += audio.FrameSamples {
		buf := make([]byte, opusMaxPacket)
		n, err := enc.Encode(clip.Samples[i:i+audio.FrameSamples], buf)
		if err != nil {
			t.Fatal(err)
		}
		// Sequence numbers wrap around in the middle of the clip.
		packets = append(packets, &rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(65500 + len(packets))}, Payload: buf[:n]})
	}
	lost := map[int]bool{}
	for i := 10; i < len(packets)-20; i += 10 {
		lost[i] = true // single losses: FEC
	}
	lost[41], lost[42] = true, true // a burst of three with 40: 2 PLC + 1 FEC

	dec, err := opus.NewDecoder(audio.SampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := &pcmCollector{}
	stats := &receiveCounters{}
	tr := &agentTrack{w: out, stats: stats, dec: dec, pcm: make([]int16, maxOpusFrame), frame: audio.FrameSamples}
	for i, p := range packets {
		if !lost[i] {
			tr.onPackets([]jitter.ExtPacket{{Packet: p}})
		}
	}
	s := stats.snapshot()
	t.Logf("%+v", s)
	singles := len(lost) - 3 + 1
	if s.Lost != int64(len(lost)) || s.Recovered != int64(singles) || s.Concealed != 2 || s.Packets != int64(len(packets)-len(lost)) {
		t.Errorf("stats %+v; want %d lost, %d recovered, 2 concealed", s, len(lost), singles)
	}
	if got, want := len(out.samples), len(packets)*audio.FrameSamples; got != want {
		t.Errorf("decoded %d samples, want %d: lost frames were not made up for", got, want)
	}

	// A jump in the sequence far past any loss is a restart: nothing made up.
	before := len(out.samples)
	tr.onPackets([]jitter.ExtPacket{{Packet: &rtp.Packet{Header: rtp.Header{SequenceNumber: tr.lastSN + maxConcealed + 5}, Payload: packets[0].Payload}}})
	if got := len(out.samples) - before; got != audio.FrameSamples {
		t.Errorf("after a jump in the sequence %d samples were written, want one frame", got)
	}
}
