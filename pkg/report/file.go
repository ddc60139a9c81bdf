package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/webcall-cli/webcall/pkg/atomicfile"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// MaxFileSize bounds what Read accepts. A report of thousands of calls is
// a few megabytes; the bound only keeps a wrong or hostile file from
// taking the machine's memory.
const MaxFileSize = 256 << 20

// Write stores r at path as indented JSON, with Version, Tool and Summary
// filled in on a copy (r is not changed). The file is replaced atomically:
// the JSON goes to a temporary file in the same directory, is synced, then
// renamed over path, so a reader (or a crash) never sees half a report and
// an older report at path survives a failed write.
func Write(path string, r *Report) error {
	data, err := Marshal(r)
	if err != nil {
		return err
	}
	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return failure.Wrap(failure.Internal, err, fmt.Sprintf("write the report %s", path)).
			WithHint("check that the directory exists and is writable, and that the disk is not full")
	}
	return nil
}

// Marshal is the JSON form Write stores, ending in a newline.
func Marshal(r *Report) ([]byte, error) {
	out := *r
	out.Version = Version
	if out.Tool == "" {
		out.Tool = "webcall"
	}
	// Empty lists are written as [] rather than null, for readers that
	// iterate without a check (jq '.calls[]').
	if out.Suite == nil {
		out.Suite = []string{}
	}
	if out.Machines == nil {
		out.Machines = []Machine{}
	}
	if out.Calls == nil {
		out.Calls = []Call{}
	}
	out.Summary = r.Summarize()
	data, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, failure.Wrap(failure.Internal, err, "encode the report")
	}
	return append(data, '\n'), nil
}

// probe is what tells a report from any other JSON file before it is
// decoded in full.
type probe struct {
	Version *int    `json:"version"`
	Tool    *string `json:"tool"`
}

// Read loads the report at path. It refuses, with an Input failure naming
// the file, a file larger than MaxFileSize, one that is not a webcall
// report, and one written by a newer webcall in a version of the form
// this one does not know. Summary is computed again from the calls.
func Read(path string) (*Report, error) {
	return read(path, MaxFileSize)
}

func read(path string, limit int64) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		kind, hint := failure.Internal, "check the file's permissions"
		if errors.Is(err, os.ErrNotExist) {
			kind, hint = failure.Input, "give the path of a JSON report that webcall test wrote"
		}
		return nil, failure.Wrap(kind, err, fmt.Sprintf("read the report %s", path)).WithHint(hint)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, failure.Newf(failure.Input, "%s is a directory, not a webcall report", path).
			WithHint("give the path of a JSON report that webcall test wrote")
	}
	// Read one byte past the limit to tell a file of exactly the limit
	// from a larger one, without trusting a size the file system reports
	// (a pipe or /proc file has none).
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, failure.Wrap(failure.Internal, err, fmt.Sprintf("read the report %s", path))
	}
	if int64(len(data)) > limit {
		return nil, failure.Newf(failure.Input, "%s is larger than %s: not a webcall report", path, sizeString(limit)).
			WithHint("give the path of a JSON report that webcall test wrote")
	}
	r, err := Unmarshal(data)
	if err != nil {
		var fe *failure.Error
		if errors.As(err, &fe) {
			fe.Msg = path + ": " + fe.Msg
			return nil, fe
		}
		return nil, err
	}
	return r, nil
}

// Unmarshal decodes a report from its JSON form, with the checks of Read.
func Unmarshal(data []byte) (*Report, error) {
	notReport := func(why string, err error) error {
		e := failure.Newf(failure.Input, "not a webcall report (%s)", why).
			WithHint("give the path of a JSON report that webcall test wrote")
		e.Err = err
		return e
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, notReport("the file is empty", nil)
	}
	var p probe
	if err := json.Unmarshal(data, &p); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, notReport(fmt.Sprintf("not JSON at byte %d", syn.Offset), err)
		}
		return nil, notReport("not the JSON of a report", err)
	}
	if p.Version == nil || p.Tool == nil || !strings.HasPrefix(*p.Tool, "webcall") {
		return nil, notReport(`no "version" and "tool" of webcall`, nil)
	}
	if *p.Version > Version {
		return nil, failure.Newf(failure.Input,
			"the report is of version %d, written by a newer webcall; this one reads version %d and older", *p.Version, Version).
			WithHint("read it with the webcall that wrote it, or upgrade webcall")
	}
	if *p.Version < 1 {
		return nil, notReport(fmt.Sprintf("version %d", *p.Version), nil)
	}
	var r Report
	// Unknown fields are accepted: fields are only ever added within a
	// version, so a report from a slightly newer webcall stays readable.
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, notReport("a field has the wrong type", err)
	}
	if err := r.validate(); err != nil {
		return nil, notReport(err.Error(), nil)
	}
	r.Summary = r.Summarize()
	return &r, nil
}

// validate refuses verdicts this version does not know, which would
// otherwise be counted as nothing at all.
func (r *Report) validate() error {
	known := func(v Verdict) bool {
		switch v {
		case "", Pass, Fail, Error, Skipped:
			return true
		}
		return false
	}
	for i := range r.Calls {
		c := &r.Calls[i]
		if !known(c.Verdict) {
			return fmt.Errorf("call %d has the unknown verdict %q", c.Index, c.Verdict)
		}
		var bad *Turn
		c.eachTurn(func(t *Turn) {
			if bad == nil && !known(t.Verdict) {
				bad = t
			}
		})
		if bad != nil {
			return fmt.Errorf("call %d, turn %d has the unknown verdict %q", c.Index, bad.Index, bad.Verdict)
		}
	}
	return nil
}

func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
