package audio

// Why webcall walks Ogg pages itself before handing a file to libopusfile
// or libvorbisfile: both treat a file that stops early as a stream that
// ended (libopusfile even turns read errors into an end of stream), so a
// recording cut short would be played cut short without a word, and a page
// that fails its checksum is skipped as a hole. Checking the container -
// every page whole, its CRC right, no page missing, the last one marked as
// the end - is a few dozen lines and no codec; the codecs stay the
// libraries'.

import (
	"encoding/binary"
	"fmt"
)

// oggStream is what checkOgg learns from an Ogg file's pages.
type oggStream struct {
	codec    string // "opus" or "vorbis"
	channels int
	// rate is Vorbis's sample rate, or for Opus the rate the encoder was
	// fed (informational: Opus always decodes at 48 kHz).
	rate    int
	preSkip int // Opus: samples at 48 kHz to drop at the start
	// granule is the last page's granule position: the stream's length
	// in samples (at 48 kHz for Opus, counting preSkip).
	granule int64
}

// Ogg page header layout (RFC 3533, section 6).
const (
	oggHeaderLen = 27
	oggFlagBOS   = 0x02 // first page of a logical stream
	oggFlagEOS   = 0x04 // last page of a logical stream
)

// checkOgg checks that data is one whole, undamaged Ogg stream of Opus or
// Vorbis, and reads its identification header. It allocates nothing in
// proportion to what the headers claim.
func checkOgg(data []byte) (oggStream, error) {
	var s oggStream
	var serial, seq uint32
	for off, page := 0, 0; off < len(data); page++ {
		rest := data[off:]
		if len(rest) < oggHeaderLen {
			return s, detailf(ErrTruncated, "Ogg file is truncated: it ends inside the header of page %d", page)
		}
		if string(rest[:4]) != "OggS" || rest[4] != 0 {
			return s, detailf(ErrCorrupt, "Ogg file is damaged: no Ogg page where page %d should start (byte %d)", page, off)
		}
		flags := rest[5]
		nseg := int(rest[26])
		if len(rest) < oggHeaderLen+nseg {
			return s, detailf(ErrTruncated, "Ogg file is truncated: it ends inside the header of page %d", page)
		}
		bodyLen := 0
		for _, l := range rest[oggHeaderLen : oggHeaderLen+nseg] {
			bodyLen += int(l)
		}
		size := oggHeaderLen + nseg + bodyLen
		if len(rest) < size {
			return s, detailf(ErrTruncated, "Ogg file is truncated: it ends inside page %d (%d of its %d bytes)", page, len(rest), size)
		}
		if want, got := binary.LittleEndian.Uint32(rest[22:26]), oggCRC(rest[:size]); want != got {
			return s, detailf(ErrCorrupt, "Ogg file is damaged: page %d (at byte %d) fails its checksum", page, off)
		}
		pageSerial := binary.LittleEndian.Uint32(rest[14:18])
		pageSeq := binary.LittleEndian.Uint32(rest[18:22])
		if page == 0 {
			if flags&oggFlagBOS == 0 {
				return s, detailf(ErrCorrupt, "Ogg file is damaged: its first page does not start a stream")
			}
			var err error
			if s, err = parseOggID(rest[oggHeaderLen+nseg : size]); err != nil {
				return s, err
			}
			serial = pageSerial
		} else {
			if pageSerial != serial || flags&oggFlagBOS != 0 {
				return s, errChainedOgg
			}
			if pageSeq != seq+1 {
				return s, detailf(ErrCorrupt, "Ogg file is damaged: page %d is followed by page %d (pages are missing)", seq, pageSeq)
			}
		}
		seq = pageSeq
		// -1 marks a page on which no packet ends.
		if g := int64(binary.LittleEndian.Uint64(rest[6:14])); g != -1 {
			s.granule = g
		}
		off += size
		if flags&oggFlagEOS != 0 {
			if off != len(data) {
				return s, errChainedOgg
			}
			return s, nil
		}
	}
	return s, detailf(ErrTruncated, "Ogg file is truncated: its stream has no last page (the file ends after page %d)", seq)
}

var errChainedOgg = detail(ErrUnsupportedFormat, "unsupported Ogg file: it holds more than one stream (chained or multiplexed), webcall reads one")

// parseOggID reads the identification header, the first packet of the
// first page: RFC 7845 section 5.1 for Opus, the Vorbis I spec section 4.2.2
// for Vorbis.
func parseOggID(p []byte) (oggStream, error) {
	var s oggStream
	switch {
	case len(p) >= 19 && string(p[:8]) == "OpusHead":
		s.codec = "opus"
		s.channels = int(p[9])
		s.preSkip = int(binary.LittleEndian.Uint16(p[10:12]))
		s.rate = int(binary.LittleEndian.Uint32(p[12:16]))
	case len(p) >= 30 && string(p[:7]) == "\x01vorbis":
		s.codec = "vorbis"
		s.channels = int(p[11])
		s.rate = int(binary.LittleEndian.Uint32(p[12:16]))
	case len(p) >= 8 && string(p[:8]) == "OpusHead", len(p) >= 7 && string(p[:7]) == "\x01vorbis":
		return s, detailf(ErrCorrupt, "Ogg file is damaged: its identification header is %d bytes, too short", len(p))
	default:
		return s, fmt.Errorf("%w: an Ogg file holding neither Opus nor Vorbis (its first packet starts with %q)", ErrUnknownFormat, p[:min(len(p), 8)])
	}
	if s.channels < 1 || s.channels > maxSourceChannels {
		return s, detailf(ErrUnsupportedFormat, "unsupported %s format: %d channels, expected 1 to %d", codecNames[s.codec], s.channels, maxSourceChannels)
	}
	return s, nil
}

// oggCRCTable is CRC-32 with polynomial 0x04C11DB7, unreflected, as Ogg
// uses it (not the reflected IEEE table of hash/crc32).
var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04C11DB7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

// oggCRC is the checksum of a page, computed with its CRC field as zeros.
func oggCRC(page []byte) uint32 {
	var crc uint32
	for i, b := range page {
		if i >= 22 && i < 26 {
			b = 0
		}
		crc = crc<<8 ^ oggCRCTable[byte(crc>>24)^b]
	}
	return crc
}

// decodeOgg checks an Ogg file's pages and decodes it with the library for
// its codec.
func decodeOgg(data []byte) (*Clip, error) {
	s, err := checkOgg(data)
	if err != nil {
		return nil, err
	}
	switch s.codec {
	case "opus":
		if s.granule-int64(s.preSkip) > maxFrames(SampleRate) {
			return nil, tooLong("Opus", s.granule-int64(s.preSkip), SampleRate)
		}
		return decodeOpus(data, s)
	default:
		if err := checkLayout("Vorbis", s.rate, s.channels); err != nil {
			return nil, err
		}
		if s.granule > maxFrames(s.rate) {
			return nil, tooLong("Vorbis", s.granule, s.rate)
		}
		return decodeVorbis(data, s)
	}
}
