package device

// mixDown writes the average of each frame's channels of interleaved to
// mono (len(interleaved)/channels samples) and returns it. Averaging, not
// summing, keeps a full-scale stereo signal from clipping.
func mixDown(mono, interleaved []int16, channels int) []int16 {
	n := len(interleaved) / channels
	mono = mono[:n]
	if channels == 1 {
		copy(mono, interleaved)
		return mono
	}
	for i := range mono {
		var sum int32
		for _, v := range interleaved[i*channels : (i+1)*channels] {
			sum += int32(v)
		}
		mono[i] = int16(sum / int32(channels))
	}
	return mono
}

// spread writes each sample of mono to every channel of interleaved
// (len(mono)*channels samples).
func spread(interleaved, mono []int16, channels int) {
	if channels == 1 {
		copy(interleaved, mono)
		return
	}
	for i, v := range mono {
		for c := range channels {
			interleaved[i*channels+c] = v
		}
	}
}
