package proc

import (
	"bytes"
	"io"
	"os"
)

// tailOfFile returns at most the last max bytes of the file at path, from
// the start of a line when the cut falls inside one (a message quoting a
// log should not begin mid-line). A file that cannot be read reads as
// empty: the tail only ever decorates an error.
func tailOfFile(path string, max int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	start := info.Size() - int64(max)
	if start < 0 {
		start = 0
	}
	buf, err := io.ReadAll(io.NewSectionReader(f, start, info.Size()-start))
	if err != nil {
		return ""
	}
	if start > 0 {
		if i := bytes.IndexByte(buf, '\n'); i >= 0 && i+1 < len(buf) {
			buf = buf[i+1:]
		}
	}
	return string(buf)
}
