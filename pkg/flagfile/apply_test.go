package flagfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/pkg/failure"
)

func TestApplySetsEveryKind(t *testing.T) {
	defer leaktest.Check(t)()
	path := writeConfig(t, `# a kiosk in the lobby
url: wss://example.com          # a comment after a value
agent-name: "front desk"
token-endpoint: 'https://example.com/api/token?kiosk=1'
always-on: true
pause: 1m30s
listen: 127.0.0.1:9000
room: 0123
calls: 0x10
level: 255
volume: 1.5e0
log-format: json
header:
  - "X-Kiosk: lobby"
  - 'Authorization-Hint: none'
tag: [a, "b,c"]
data: |
  {"room": "lobby"}
`)
	fs := sampleFlags()
	if err := Apply(path, fs, sampleOptions); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	want := map[string]string{
		"url":            "wss://example.com",
		"agent-name":     "front desk",
		"token-endpoint": "https://example.com/api/token?kiosk=1",
		"always-on":      "true",
		"pause":          "1m30s",
		"listen":         "127.0.0.1:9000",
		"room":           "0123", // as written, not the octal number YAML reads
		"calls":          "16",
		"level":          "255",
		"volume":         "1.5",
		"log-format":     "json",
		"header":         "X-Kiosk: lobby|Authorization-Hint: none",
		"tag":            "a|b|c", // a comma splits a slice item, as on the command line
		"data":           "{\"room\": \"lobby\"}\n",
	}
	for name, w := range want {
		if got := get(t, fs, name); got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
		if !fs.Changed(name) {
			t.Errorf("%s: not marked as set", name)
		}
	}
	for _, name := range []string{"api-secret", "token", "config"} {
		if fs.Changed(name) {
			t.Errorf("%s set, though the file does not name it", name)
		}
	}
}

func TestCommandLineWins(t *testing.T) {
	defer leaktest.Check(t)()
	path := writeConfig(t, `url: wss://from-the-file
header: ["From: file", "Second: file"]
tag: [file]
always-on: true
agent-name: from-the-file
`)
	fs := sampleFlags()
	if err := fs.Parse([]string{"--url", "wss://from-the-command-line", "-H", "From: command line", "--always-on=false"}); err != nil {
		t.Fatal(err)
	}
	if err := Apply(path, fs, sampleOptions); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for name, w := range map[string]string{
		"url":        "wss://from-the-command-line",
		"header":     "From: command line", // not merged with the file's
		"always-on":  "false",
		"agent-name": "from-the-file",
		"tag":        "file", // the file replaces the default, as a flag would
	} {
		if got := get(t, fs, name); got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
}

// TestFileEqualsCommandLine sets every flag once from a file and once from
// the command line: the two FlagSets must not differ in any value or in
// which flags count as set.
func TestFileEqualsCommandLine(t *testing.T) {
	defer leaktest.Check(t)()
	args := []string{
		"--url", "ws://127.0.0.1:7880",
		"--agent-name", "front-desk",
		"--token-endpoint", "http://127.0.0.1:8081/token",
		"--room", "007",
		"--data", `{"a": [1, 2]}`,
		"--always-on",
		"--pause", "2m",
		"--listen", "0.0.0.0:9100",
		"--header", "A: 1", "--header", "B: two, three",
		"--tag", "x,y", "--tag", "z",
		"--calls", "-3",
		"--level", "7",
		"--volume", "0.25",
		"--log-format", "json",
		"--api-secret-file", "/etc/webcall/secret",
		"--debug-internals", "on",
	}
	file := `url: ws://127.0.0.1:7880
agent-name: front-desk
token-endpoint: http://127.0.0.1:8081/token
room: "007"
data: '{"a": [1, 2]}'
always-on: true
pause: 2m
listen: 0.0.0.0:9100
header: ["A: 1", "B: two, three"]
tag:
  - x,y
  - z
calls: -3
level: 7
volume: 0.25
log-format: json
api-secret-file: /etc/webcall/secret
debug-internals: "on"
`
	fromArgs := sampleFlags()
	if err := fromArgs.Parse(args); err != nil {
		t.Fatal(err)
	}
	fromFile := sampleFlags()
	if err := Apply(writeConfig(t, file), fromFile, sampleOptions); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if a, f := values(fromArgs), values(fromFile); a != f {
		t.Errorf("the file and the command line differ:\ncommand line:\n%s\nfile:\n%s", a, f)
	}
	// Every flag a file may set is in the comparison, so a kind of flag
	// added to sampleFlags without a line here fails.
	for _, k := range Keys(fromArgs, sampleOptions.Skip()) {
		if !fromArgs.Changed(k) {
			t.Errorf("%s: not covered by the round trip", k)
		}
	}
}

func TestEmptyFilesSetNothing(t *testing.T) {
	defer leaktest.Check(t)()
	for _, src := range []string{"", "\n\n", "# every key commented out\n# url: \"\"\n", "---\n", "~\n", "--- # a document with nothing in it\n...\n"} {
		fs := sampleFlags()
		before := values(fs)
		if err := Apply(writeConfig(t, src), fs, sampleOptions); err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if after := values(fs); after != before {
			t.Errorf("%q changed flags:\n%s", src, after)
		}
	}
}

func TestAnchorsTagsAndEmptyLists(t *testing.T) {
	defer leaktest.Check(t)()
	path := writeConfig(t, `agent-name: &agent front-desk
room: *agent
header: &headers
  - "A: 1"
  - &b "B: 2"
tag: [*b, !!str 12]
url: !!str ws://127.0.0.1:7880
calls: !!int 4
attribute-free: false
`)
	fs := sampleFlags()
	err := Apply(path, fs, sampleOptions)
	if got := relative(err, path); got != `kiosk.yaml:9:1: unknown key "attribute-free": the keys are the command's flag names, without the dashes` {
		t.Fatalf("got %s", got)
	}
	if fs.Changed("agent-name") {
		t.Fatal("a file with an unknown key set a flag: the whole file is checked first")
	}

	path = writeConfig(t, `agent-name: &agent front-desk
room: *agent
header: &headers
  - "A: 1"
  - &b "B: 2"
tag: [*b, !!str 12]
url: !!str ws://127.0.0.1:7880
calls: !!int 4
`)
	fs = sampleFlags()
	if err := Apply(path, fs, sampleOptions); err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string]string{
		"agent-name": "front-desk", "room": "front-desk", "header": "A: 1|B: 2",
		"tag": "B: 2|12", "url": "ws://127.0.0.1:7880", "calls": "4",
	} {
		if got := get(t, fs, name); got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}

	// An empty list is the key left out: the default stays, not marked set.
	fs = sampleFlags()
	if err := Apply(writeConfig(t, "header: []\ntag: []\n"), fs, sampleOptions); err != nil {
		t.Fatal(err)
	}
	if fs.Changed("header") || fs.Changed("tag") || get(t, fs, "tag") != "kiosk" {
		t.Errorf("an empty list changed its flag: header changed=%v tag=%q", fs.Changed("header"), get(t, fs, "tag"))
	}
}

func TestErrorIsUsageAndInvalid(t *testing.T) {
	defer leaktest.Check(t)()
	err := Apply(writeConfig(t, "nope: 1\n"), sampleFlags(), sampleOptions)
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
	}
	if k := failure.KindOf(err); k != failure.Usage {
		t.Errorf("kind %v, want usage", k)
	}
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].Key != "nope" || es[0].Line != 1 || es[0].Column != 1 {
		t.Errorf("errors.As Errors: %#v", es)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("one problem, several lines: %q", err)
	}
}

// TestWindowsEditors: a file saved with CRLF line ends and a byte order
// mark reads as the same file without them.
func TestWindowsEditors(t *testing.T) {
	defer leaktest.Check(t)()
	fs := sampleFlags()
	if err := Apply(writeConfig(t, "\ufeffurl: ws://x\r\nalways-on: true\r\nheader:\r\n  - 'A: 1'\r\n"), fs, sampleOptions); err != nil {
		t.Fatal(err)
	}
	if u, a, h := get(t, fs, "url"), get(t, fs, "always-on"), get(t, fs, "header"); u != "ws://x" || a != "true" || h != "A: 1" {
		t.Errorf("url=%q always-on=%q header=%q", u, a, h)
	}
	path := writeConfig(t, "\ufeffurl: ws://x\r\nalways-on: maybe\r\n")
	if got, want := relative(Apply(path, sampleFlags(), sampleOptions), path), `kiosk.yaml:2:12: always-on: "maybe" is not a boolean (true or false)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
