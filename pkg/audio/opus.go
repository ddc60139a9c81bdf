package audio

// Ogg Opus is decoded by libopusfile through gopkg.in/hraban/opus.v2, the
// binding livekit's media package already brings in for the call's own
// Opus: no new dependency, and Xiph's reference decoder, which applies the
// pre-skip and output gain and trims the end to the exact length. (The
// binding's Stream needs libopusfile: webcall never builds with its
// nolibopusfile tag.)

import (
	"bytes"
	"errors"
	"io"

	"gopkg.in/hraban/opus.v2"
)

// opusMaxFrame is the longest Opus packet, 120 ms at 48 kHz, per channel:
// one op_read returns at most that.
const opusMaxFrame = 5760

// decodeOpus decodes an Ogg Opus file that checkOgg has passed.
func decodeOpus(data []byte, s oggStream) (*Clip, error) {
	st, err := opus.NewStream(bytes.NewReader(data))
	if err != nil {
		return nil, detailf(ErrCorrupt, "Opus file is damaged: libopusfile refuses its headers (%v)", err)
	}
	defer st.Close()
	ch := s.channels
	limit := maxFrames(SampleRate)
	mono := make([]float32, 0, min(max(s.granule-int64(s.preSkip), 0), limit, 1<<20))
	pcm := make([]float32, opusMaxFrame*ch)
	scale := 1 / float32(ch)
	for {
		// libopusfile interleaves the channels of the stream's one link
		// (checkOgg refused chained files, whose links could differ).
		n, err := st.ReadFloat32(pcm)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, detailf(ErrCorrupt, "Opus file is damaged: after %s of audio, libopusfile fails with %v",
				shortDuration(framesDuration(int64(len(mono)), SampleRate)), err)
		}
		if int64(len(mono)+n) > limit {
			return nil, tooLong("Opus", int64(len(mono)+n), SampleRate)
		}
		for i := range n {
			var sum float32
			for _, v := range pcm[i*ch : (i+1)*ch] {
				sum += v
			}
			mono = append(mono, sum*scale)
		}
	}
	return newClip(mono, SampleRate, ch, 0, "opus")
}
