package report

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
)

func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	in := mixedReport()
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	if in.Summary != nil {
		t.Error("Write changed the caller's report")
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := mixedReport()
	want.Summary = want.Summarize()
	if !reflect.DeepEqual(got, want) {
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		t.Errorf("read back a different report:\n got %s\nwant %s", a, b)
	}
	if got.Summary.Verdict != Fail || got.Summary.Totals.CallsErrored != 1 {
		t.Errorf("summary = %+v", got.Summary)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
}

func TestReadRecomputesASummaryThatDisagrees(t *testing.T) {
	data, err := Marshal(allPassReport())
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), `"verdict": "pass",
    "totals"`, `"verdict": "fail",
    "totals"`, 1)
	if edited == string(data) {
		t.Fatal("the summary's verdict was not found in the JSON")
	}
	r, err := Unmarshal([]byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Verdict != Pass {
		t.Errorf("summary verdict = %q, want it computed from the calls (pass)", r.Summary.Verdict)
	}
}

func TestMarshalWritesEmptyListsAsArrays(t *testing.T) {
	data, err := Marshal(&Report{Tool: "webcall test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"suite": []`, `"machines": []`, `"calls": []`, `"version": 1`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JSON lacks %s:\n%s", want, data)
		}
	}
}

func TestWriteFailureLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	// A directory in the way makes the final rename fail, after the
	// temporary file was written.
	target := filepath.Join(dir, "report.json")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Write(target, allPassReport())
	var fe *failure.Error
	if !errors.As(err, &fe) || fe.Kind != failure.Internal || fe.Hint == "" {
		t.Fatalf("Write over a directory = %v, want an internal failure with a hint", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only the report.json directory", names)
	}

	if err := Write(filepath.Join(dir, "missing", "r.json"), allPassReport()); err == nil {
		t.Error("Write into a missing directory succeeded")
	}
}

func TestWriteReplacesAnOlderReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, allPassReport()); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err != nil {
		t.Errorf("the replaced file does not read back: %v", err)
	}
}

func TestReadRefusesWhatIsNotAReport(t *testing.T) {
	future := `{"version": 2, "tool": "webcall 9.0", "calls": []}`
	tests := []struct {
		name, content, want string
	}{
		{"empty", "  \n", "not a webcall report (the file is empty)"},
		{"not JSON", "version: 1\n", "not a webcall report (not JSON at byte 1)"},
		{"other JSON", `{"name": "package.json", "version": "1.0.0"}`, "not a webcall report"},
		{"no tool", `{"version": 1, "calls": []}`, `not a webcall report (no "version" and "tool" of webcall)`},
		{"another tool", `{"version": 1, "tool": "k6", "calls": []}`, `not a webcall report`},
		{"array", `[1, 2]`, "not a webcall report"},
		{"future version", future, "the report is of version 2, written by a newer webcall; this one reads version 1 and older"},
		{"zero version", `{"version": 0, "tool": "webcall"}`, "not a webcall report (version 0)"},
		{"wrong type", `{"version": 1, "tool": "webcall", "calls": {"a": 1}}`, "not a webcall report (a field has the wrong type)"},
		{"unknown verdict", `{"version": 1, "tool": "webcall", "calls": [{"index": 3, "verdict": "maybe"}]}`, `call 3 has the unknown verdict "maybe"`},
		{"trailing data", `{"version": 1, "tool": "webcall"} {}`, "not a webcall report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Kind != failure.Input {
				t.Fatalf("Read = %v, want an input failure", err)
			}
			if !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to name the file and say %q", err, tt.want)
			}
			if fe.Hint == "" {
				t.Error("no hint")
			}
		})
	}
}

func TestReadAcceptsFieldsAddedLater(t *testing.T) {
	r, err := Unmarshal([]byte(`{"version": 1, "tool": "webcall 1.9", "new_field": {"x": 1}, "calls": [{"index": 0, "verdict": "pass", "later": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Calls) != 1 || r.Summary == nil || r.Summary.Verdict != Pass {
		t.Errorf("report = %+v", r)
	}
}

func TestReadBoundsTheSize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.json")
	data, err := Marshal(allPassReport())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := read(path, int64(len(data))); err != nil {
		t.Errorf("a file of exactly the limit: %v", err)
	}
	_, err = read(path, int64(len(data)-1))
	if failure.KindOf(err) != failure.Input || !strings.Contains(err.Error(), "big.json is larger than") {
		t.Errorf("a file over the limit: %v", err)
	}
}

func TestReadMissingAndDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "none.json"), dir} {
		_, err := Read(path)
		if failure.KindOf(err) != failure.Input || !strings.Contains(err.Error(), path) {
			t.Errorf("Read(%s) = %v, want an input failure naming it", path, err)
		}
	}
}
