package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/internal/golden"
)

func TestAnnotationsGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteAnnotations(&buf, mixedReport()); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/annotations_mixed.txt", buf.Bytes())
}

func TestAnnotationsNoneWhenAllPass(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteAnnotations(&buf, allPassReport()); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("a passing run annotates:\n%s", buf.String())
	}
}

func TestAnnotationEscaping(t *testing.T) {
	c := failingCall(0)
	c.File = "dir,with:odd/100%.yaml"
	c.Scenario = "a: b, c"
	c.Turns[0].Checks = []Check{{Name: "contains", Line: 9, Expected: "50%", Actual: "line one\r\nline two %0A"}}
	c.Checks = nil
	var buf bytes.Buffer
	if err := WriteAnnotations(&buf, baseReport(c)); err != nil {
		t.Fatal(err)
	}
	want := "::error file=dir%2Cwith%3Aodd/100%25.yaml,line=9,title=a%3A b%2C c turn 1::contains failed%0Aexpected: 50%25%0Aactual: line one%0D%0Aline two %250A\n"
	if got := buf.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Error("a message broke the command over lines")
	}
}

func TestEscapeOrder(t *testing.T) {
	// Escaping % after the others would turn %0A into %250A.
	if got := escapeData("%\n"); got != "%25%0A" {
		t.Errorf("escapeData = %q", got)
	}
	if got := escapeProperty("a:b,c%\r"); got != "a%3Ab%2Cc%25%0D" {
		t.Errorf("escapeProperty = %q", got)
	}
}
