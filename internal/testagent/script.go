package testagent

import (
	"strings"
	"time"
)

// wordDuration is how long one word of the scripted user text is taken to
// last when growing interim transcripts: about 170 words a minute, the pace
// of espeak-ng and of people reading aloud.
const wordDuration = 350 * time.Millisecond

// interimText is what a recogniser would have made of text after hearing
// speech of it: a prefix of whole words that grows with the time spoken,
// always at least one word and, while the utterance lasts, never all of
// them unless there is only one (the whole text is the final's).
func interimText(text string, speech time.Duration) string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return ""
	}
	n := 1 + int(speech/wordDuration)
	n = min(n, max(1, len(words)-1))
	return strings.Join(words[:n], " ")
}

// wordChunks splits text into the chunks of an agent's reply stream: the
// first word, then each further word with its leading space (" said:",
// " the"), so the chunks joined are the text with its spacing normalised.
func wordChunks(text string) []string {
	words := strings.Fields(text)
	chunks := make([]string, len(words))
	for i, w := range words {
		if i > 0 {
			w = " " + w
		}
		chunks[i] = w
	}
	return chunks
}

// wordDue is when word i of n is due in a reply lasting total: word i at
// i/n of the audio, so the text keeps step with the speech and the last
// word goes out before the audio ends.
func wordDue(i, n int, total time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return total * time.Duration(i) / time.Duration(n)
}
