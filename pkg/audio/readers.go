package audio

import (
	"io"
	"time"
)

// NewClipReader returns a Reader over samples (48 kHz mono), frame by frame;
// the last frame is padded with silence. It reads samples in place, so they
// must not change while it is in use.
func NewClipReader(samples []int16) Reader { return &clipReader{rest: samples} }

type clipReader struct{ rest []int16 }

func (c *clipReader) ReadFrame(f Frame) error {
	if len(c.rest) == 0 {
		return io.EOF
	}
	n := copy(f, c.rest)
	clear(f[n:])
	c.rest = c.rest[n:]
	return nil
}

// Silence returns a Reader of silent frames lasting d, rounded up to whole
// frames; d <= 0 means silence without end.
func Silence(d time.Duration) Reader {
	frames := int64(-1)
	if d > 0 {
		frames = int64((d + FrameDuration - 1) / FrameDuration)
	}
	return &silence{left: frames}
}

type silence struct{ left int64 } // -1: endless

func (s *silence) ReadFrame(f Frame) error {
	if s.left == 0 {
		return io.EOF
	}
	if s.left > 0 {
		s.left--
	}
	clear(f)
	return nil
}

// Concat returns a Reader that reads each of rs to its end in turn. Errors
// other than io.EOF stop it and are returned as they are.
func Concat(rs ...Reader) Reader { return &concat{rs: rs} }

type concat struct{ rs []Reader }

func (c *concat) ReadFrame(f Frame) error {
	for len(c.rs) > 0 {
		err := c.rs[0].ReadFrame(f)
		if err != io.EOF {
			return err
		}
		c.rs = c.rs[1:]
	}
	return io.EOF
}
