package testagent

// The user's captions as an agent sends them back: interims, then the
// final text twice, as a Node agent does.

import (
	"encoding/json"
	"strconv"
	"time"
)

// sendUser sends the current utterance's caption: an interim (a prefix
// growing with the time spoken), or the final text, which a Node agent
// sends twice: as a final=false stream, then as a final=true stream.
func (s *session) sendUser(ev segEvent, final bool) {
	u := s.utt
	text := u.text
	if !final {
		text = interimText(u.text, ev.speech)
	}
	start, end := ev.startAt, ev.startAt+ev.speech
	if !s.opts.LegacyOnly {
		payload := text
		if s.opts.JSONTranscripts {
			payload = jsonLine(text, start, end)
		}
		finals := []bool{false}
		if final {
			finals = []bool{false, true}
		}
		for _, fin := range finals {
			if err := sendText(s.lk.LocalParticipant, topicTranscription, u.identity, payload, s.streamAttrs(u.segID, fin, u.trackSID)); err != nil {
				s.log.Warn("user transcription not sent", "err", err)
			}
		}
	}
	if err := sendLegacy(s.lk.LocalParticipant, legacySegment{
		participant: u.identity, trackSID: u.trackSID, id: u.legacyID,
		text: text, start: start, end: end, final: final,
	}); err != nil {
		s.log.Warn("legacy user transcription not sent", "err", err)
	}
}

func (s *session) streamAttrs(segID string, final bool, trackSID string) map[string]string {
	attrs := map[string]string{
		attrFinal:            strconv.FormatBool(final),
		attrTranscribedTrack: trackSID,
	}
	if !s.opts.OmitSegmentID {
		attrs[attrSegmentID] = segID
	}
	return attrs
}

// jsonLine is a chunk in the JSON Lines form some agents send: the text
// with its timing, in seconds since the agent began hearing the user.
func jsonLine(text string, start, end time.Duration) string {
	b, _ := json.Marshal(struct {
		Text            string  `json:"text"`
		StartTime       float64 `json:"start_time"`
		EndTime         float64 `json:"end_time"`
		Confidence      float64 `json:"confidence"`
		StartTimeOffset float64 `json:"start_time_offset"`
	}{text, start.Seconds(), end.Seconds(), 0.95, 0})
	return string(b) + "\n"
}
