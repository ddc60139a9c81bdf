package room

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// A chat message is read whole, however the stream cuts it, and a message
// over the limit is cut at a character boundary and said to be.
func TestReadChat(t *testing.T) {
	for _, tc := range []struct {
		name          string
		in            io.Reader
		limit         int
		want          string
		wantTruncated bool
	}{
		{"one chunk", strings.NewReader("book a table"), 64, "book a table", false},
		{"a byte at a time", iotest.OneByteReader(strings.NewReader("für zwei")), 64, "für zwei", false},
		{"exactly the limit", strings.NewReader("abcd"), 4, "abcd", false},
		{"over the limit", strings.NewReader("abcdef"), 4, "abcd", true},
		{"a character cut by the limit", strings.NewReader("abcé"), 4, "abc", true},
		{"over the limit, in pieces", iotest.HalfReader(strings.NewReader(strings.Repeat("x", 10000))), 4096, strings.Repeat("x", 4096), true},
		{"empty", strings.NewReader(""), 64, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, truncated, err := readChat(tc.in, tc.limit)
			if !errors.Is(err, io.EOF) {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if got != tc.want || truncated != tc.wantTruncated {
				t.Errorf("read %q (truncated %v), want %q (truncated %v)", got, truncated, tc.want, tc.wantTruncated)
			}
			if !utf8.ValidString(got) {
				t.Errorf("%q is not valid UTF-8", got)
			}
		})
	}
}

// A stream that breaks off returns what came and the error that ended it.
func TestReadChatBrokenOff(t *testing.T) {
	broken := errors.New("room closed")
	got, _, err := readChat(io.MultiReader(strings.NewReader("half a "), iotest.ErrReader(broken)), 64)
	if got != "half a " || !errors.Is(err, broken) {
		t.Errorf("read %q, %v; want the text so far and the error", got, err)
	}
}
