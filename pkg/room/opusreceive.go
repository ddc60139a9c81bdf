package room

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/media-sdk"
	"github.com/livekit/media-sdk/jitter"
	protologger "github.com/livekit/protocol/logger"
	"github.com/pion/webrtc/v4"
	"gopkg.in/hraban/opus.v2"

	"github.com/webcall-cli/webcall/pkg/audio"
)

// The agent's audio is decoded here rather than by the SDK's
// PCMRemoteTrack, whose jitter handling only puts packets in order: a lost
// packet simply vanishes, so 20 ms of the agent's speech is missing from
// the speaker and the recording, and everything after it moves earlier.
// A voice client on a lossy network does better with what Opus offers:
//
//	RTP from the track -> reorder buffer (media-sdk's jitter.Buffer)
//	  -> a lost packet is rebuilt from the next packet's in-band FEC
//	     when the sender adds it (webcall's own encoder always does),
//	     by Opus's concealment (PLC) otherwise and for longer gaps
//	  -> decoded 48 kHz mono -> the call's sink
//
// so the agent's audio keeps its length and its timeline through loss.

// reorderWait is how long a missing packet is waited for before it counts
// as lost: the packets after it are held meanwhile. It covers ordinary
// jitter (tens of ms); a packet later than that is rebuilt from its
// successor's FEC anyway, so waiting longer would only add delay.
const reorderWait = 60 * time.Millisecond

// maxConcealed bounds the frames made up for one gap: past about 200 ms
// concealment has faded to silence, and a longer gap in the sequence is a
// pause or a restart of the sender, not loss worth filling.
const maxConcealed = 10

// maxOpusFrame is the longest Opus packet (120 ms) at 48 kHz.
const maxOpusFrame = audio.SampleRate * 120 / 1000

// AgentAudioStats are what the receive path did with one call's agent
// audio, over all its tracks.
type AgentAudioStats struct {
	Packets   int64 // decoded as they came
	Lost      int64 // missing from the sequence
	Recovered int64 // of those, rebuilt from the next packet's FEC
	Concealed int64 // of those, filled in by concealment
	Corrupt   int64 // packets the decoder refused
}

type receiveCounters struct {
	packets, lost, recovered, concealed, corrupt atomic.Int64
}

func (c *receiveCounters) snapshot() AgentAudioStats {
	return AgentAudioStats{
		Packets: c.packets.Load(), Lost: c.lost.Load(), Recovered: c.recovered.Load(),
		Concealed: c.concealed.Load(), Corrupt: c.corrupt.Load(),
	}
}

func (c *receiveCounters) log(l protologger.Logger) {
	s := c.snapshot()
	l.Infow("agent audio received", "packets", s.Packets, "lost", s.Lost,
		"recovered_fec", s.Recovered, "concealed_plc", s.Concealed, "corrupt", s.Corrupt)
}

// agentTrack decodes one remote Opus track. Its one goroutine reads the
// track until the track ends (Room.Close disconnects, which ends it); the
// reorder buffer's timer goroutine ends with it.
type agentTrack struct {
	track *webrtc.TrackRemote
	w     media.PCM16Writer
	stats *receiveCounters
	buf   *jitter.Buffer

	// Touched only in onPackets, which the buffer calls under its lock.
	dec     *opus.Decoder
	pcm     []int16
	frame   int // samples in the last decoded frame: what a lost one had
	lastSN  uint16
	started bool

	closeOnce sync.Once
}

func newAgentTrack(track *webrtc.TrackRemote, w media.PCM16Writer, stats *receiveCounters, log protologger.Logger) (*agentTrack, error) {
	// A mono decoder downmixes stereo packets itself.
	dec, err := opus.NewDecoder(audio.SampleRate, 1)
	if err != nil {
		return nil, err
	}
	t := &agentTrack{track: track, w: w, stats: stats, dec: dec, pcm: make([]int16, maxOpusFrame), frame: audio.FrameSamples}
	opts := []jitter.Option{}
	if log != nil {
		opts = append(opts, jitter.WithLogger(log))
	}
	t.buf = jitter.NewBuffer(opusDepacketizer{}, reorderWait, t.onPackets, opts...)
	go t.read()
	return t, nil
}

func (t *agentTrack) read() {
	defer t.Close()
	for {
		p, _, err := t.track.ReadRTP()
		if err != nil {
			return
		}
		t.buf.Push(p)
	}
}

// onPackets decodes packets the buffer releases in order, making up for
// any missing before each.
func (t *agentTrack) onPackets(pkts []jitter.ExtPacket) {
	for _, p := range pkts {
		if len(p.Payload) == 0 {
			continue
		}
		if t.started {
			if gap := int(p.SequenceNumber - t.lastSN - 1); gap > 0 && gap <= maxConcealed {
				t.conceal(gap, p.Payload)
			}
		}
		t.started, t.lastSN = true, p.SequenceNumber
		n, err := t.dec.Decode(p.Payload, t.pcm)
		if err != nil {
			t.stats.corrupt.Add(1)
			continue
		}
		t.stats.packets.Add(1)
		t.frame = n
		t.write(t.pcm[:n])
	}
}

// conceal makes up gap lost frames before next: the last one from next's
// FEC copy, the others by concealment, each as long as the last frame.
func (t *agentTrack) conceal(gap int, next []byte) {
	t.stats.lost.Add(int64(gap))
	pcm := t.pcm[:t.frame]
	for i := 0; i < gap; i++ {
		var err error
		if i == gap-1 {
			// libopus conceals by itself when next carries no FEC.
			err = t.dec.DecodeFEC(next, pcm)
			if err == nil {
				t.stats.recovered.Add(1)
			}
		} else {
			err = t.dec.DecodePLC(pcm)
			if err == nil {
				t.stats.concealed.Add(1)
			}
		}
		if err != nil {
			return
		}
		t.write(pcm)
	}
}

func (t *agentTrack) write(pcm []int16) {
	// The sink copies or refuses; a refusal is the sink's to report.
	_ = t.w.WriteSample(media.PCM16Sample(pcm))
}

// Close stops the reorder buffer's timer. The reading goroutine ends when
// the track does.
func (t *agentTrack) Close() {
	t.closeOnce.Do(t.buf.Close)
}

// opusDepacketizer tells the reorder buffer that every RTP packet of an
// Opus track is one whole frame.
type opusDepacketizer struct{}

func (opusDepacketizer) Unmarshal(p []byte) ([]byte, error) { return p, nil }
func (opusDepacketizer) IsPartitionHead([]byte) bool        { return true }
func (opusDepacketizer) IsPartitionTail(bool, []byte) bool  { return true }
