package flagfile

import (
	"strings"
	"testing"
)

// FuzzApply feeds arbitrary bytes to the reader. Whatever the input:
// no panic, every message placed in the file, a flag set on the command
// line untouched, and no secret or refused flag ever set from the file.
func FuzzApply(f *testing.F) {
	for _, seed := range []string{
		"url: ws://127.0.0.1:7880\nalways-on: true\npause: 30s\nheader: [\"A: 1\", 'B: 2']\n",
		"agent-name: &a x\nroom: *a\ntag: [*a, !!str 1]\ndata: |\n  {}\n",
		"api-secret: s3cr3t\ntoken: t\nconfig: x\nhelp: true\n",
		"listen:\n  host: 0.0.0.0\n- 1\n",
		"<<: *missing\n? [a]\n: b\n",
		"url: 'unterminated\n---\nurl: b\n",
		"\x00\xff\t:\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := sampleFlags()
		if err := fs.Parse([]string{"--url", "ws://command-line"}); err != nil {
			t.Fatal(err)
		}
		err := applyBytes("kiosk.yaml", data, fs, sampleOptions)
		if err != nil {
			lines := strings.Split(err.Error(), "\n")
			if len(lines) > maxErrors+1 {
				t.Errorf("%d lines of errors", len(lines))
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, "kiosk.yaml") {
					t.Errorf("a message not placed in the file: %q", l)
				}
			}
		}
		if got := fs.Lookup("url").Value.String(); got != "ws://command-line" {
			t.Errorf("the file overrode the command line: url = %q", got)
		}
		for _, name := range []string{"api-secret", "token", "config", "help"} {
			if fs.Changed(name) {
				t.Errorf("%s was set from the file", name)
			}
		}
	})
}
