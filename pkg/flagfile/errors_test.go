package flagfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

// TestErrors holds each problem a file can have to its exact message and
// place, as the user sees them.
func TestErrors(t *testing.T) {
	defer leaktest.Check(t)()
	tests := []struct {
		name, src, want string
	}{
		{"typo", "url: ws://x\nagnet-name: a\n",
			`kiosk.yaml:2:1: unknown key "agnet-name"; did you mean "agent-name"?`},
		{"unknown, nothing near", "url: ws://x\nbutton-gpio: 17\n",
			`kiosk.yaml:2:1: unknown key "button-gpio": the keys are the command's flag names, without the dashes`},
		{"every unknown key at once", "agnet-name: a\nurl: x\n  # indented comment\nlistne: b\nalways_on: true\n",
			"kiosk.yaml:1:1: unknown key \"agnet-name\"; did you mean \"agent-name\"?\n" +
				"kiosk.yaml:4:1: unknown key \"listne\"; did you mean \"listen\"?\n" +
				"kiosk.yaml:5:1: unknown key \"always_on\"; did you mean \"always-on\"?"},
		{"a shorthand", "H: 'A: b'\n",
			`kiosk.yaml:1:1: unknown key "H": a configuration file uses the long names; write "header"`},
		{"dashes", "--url: ws://x\n",
			`kiosk.yaml:1:1: key "--url": write the flag name without its dashes: "url"`},
		{"not a boolean", "url: ws://x\nagent-name: a\nalways-on: maybe\n",
			`kiosk.yaml:3:12: always-on: "maybe" is not a boolean (true or false)`},
		{"yes is not true", "always-on: yes\n",
			`kiosk.yaml:1:12: always-on: "yes" is not a boolean (true or false)`},
		{"a duration without its unit", "pause: 30\n",
			`kiosk.yaml:1:8: pause: "30" is not a duration: write a number with a unit, e.g. 30s, 5m or 1h30m`},
		{"not a whole number", "calls: 2.5\n",
			`kiosk.yaml:1:8: calls: "2.5" is not a whole number`},
		{"out of range", "level: 256\n",
			`kiosk.yaml:1:8: level: "256" is out of range for a whole number of this size`},
		{"not a number", "volume: loud\n",
			`kiosk.yaml:1:9: volume: "loud" is not a number`},
		{"the flag's own refusal", "log-format: xml\n",
			`kiosk.yaml:1:13: log-format: cannot use "xml": must be text or json`},
		{"every bad value at once", "always-on: 1x\npause: soon\nurl: ws://x\n",
			"kiosk.yaml:1:12: always-on: \"1x\" is not a boolean (true or false)\n" +
				"kiosk.yaml:2:8: pause: \"soon\" is not a duration: write a number with a unit, e.g. 30s, 5m or 1h30m"},
		{"duplicate", "url: ws://a\nroom: r\nurl: ws://b\n",
			`kiosk.yaml:3:1: duplicate key "url" (first at line 1): keep one`},
		{"a list at the top", "- url: ws://x\n",
			`kiosk.yaml:1:1: the top level must be a mapping of flag names to values (one "name: value" per line), not a list`},
		{"a word at the top", "webcall kiosk\n",
			`kiosk.yaml:1:1: the top level must be a mapping of flag names to values (one "name: value" per line), not a single value: is it the right file?`},
		{"a secret's file given instead", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJraW9zayJ9.c2lnbmF0dXJl\n",
			`kiosk.yaml:1:1: the top level must be a mapping of flag names to values (one "name: value" per line), not a single value: is it the right file?`},
		{"a key that is no name", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJraW9zayJ9: 1\n",
			`kiosk.yaml:1:1: a key that is not a flag name: the keys are the command's flag names, without the dashes`},
		{"control characters", "log-format: \"\\e[31mred\"\n",
			`kiosk.yaml:1:13: log-format: cannot use "\x1b[31mred": must be text or json`},
		{"nested mapping", "url: ws://x\nlisten:\n  host: 0.0.0.0\n  port: 80\n",
			`kiosk.yaml:3:3: listen takes a value, not a mapping: a key under it is indented too far, or the value needs quotes`},
		{"flow mapping", "listen: {host: 0.0.0.0}\n",
			`kiosk.yaml:1:9: listen takes a value, not a mapping: a key under it is indented too far, or the value needs quotes`},
		{"a list for one value", "url: [ws://a, ws://b]\n",
			`kiosk.yaml:1:6: url takes one value, not a list`},
		{"no value", "url:\nroom: ~\n",
			"kiosk.yaml:1:5: url has no value: give one (\"\" for an empty one), or remove the key to keep the default\n" +
				"kiosk.yaml:2:7: room has no value: give one (\"\" for an empty one), or remove the key to keep the default"},
		{"an empty item", "header:\n  - 'A: 1'\n  -\n",
			`kiosk.yaml:3:5: header: an empty item in the list: give a value or remove the item`},
		{"a list in a list", "header:\n  - [a, b]\n",
			`kiosk.yaml:2:5: header: each item of the list must be one value, not a list`},
		{"merge key", "<<: {url: ws://x}\n",
			`kiosk.yaml:1:1: merge keys (<<) are not supported: a configuration file is one flat mapping; write each key out`},
		{"second document", "url: ws://a\n---\nurl: ws://b\n",
			`kiosk.yaml:2:1: a second YAML document: a configuration file holds one mapping; remove the --- line and merge the keys`},
		{"secret", "url: ws://x\nagent-name: a\nroom: r\napi-secret: s3cr3t\n",
			`kiosk.yaml:4:1: api-secret is a secret and is not read from a configuration file: use api-secret-file (a file only the kiosk can read) or the environment`},
		{"secret with no advice", "token: eyJhbGciOi\n",
			`kiosk.yaml:1:1: token is a secret and is not read from a configuration file: use a file of its own or the environment`},
		{"refused", "config: other.yaml\n",
			`kiosk.yaml:1:1: config cannot be set in a configuration file: a configuration file cannot name another`},
		{"not YAML", "url: \"ws://x\n",
			`kiosk.yaml:1:6: not valid YAML: could not find end character of double-quoted text`},
		{"a tab", "url: ws://x\n\troom: r\n",
			`kiosk.yaml:2:1: not valid YAML: found character '\t' that cannot start any token`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.src)
			if got := relative(Apply(path, sampleFlags(), sampleOptions), path); got != tt.want {
				t.Errorf("file:\n%s\ngot:\n%s\nwant:\n%s", tt.src, got, tt.want)
			}
		})
	}
}

// TestSecretsNotEchoed: whatever else is wrong with the file, the value of
// a secret key, or of a key mistyped for one, is in no message.
func TestSecretsNotEchoed(t *testing.T) {
	defer leaktest.Check(t)()
	const secret = "s3cr3t-Value-9f8e"
	for _, src := range []string{
		"api-secret: " + secret + "\n",
		"api-secret: \"" + secret + "\"\nalways-on: maybe\n",
		"api-secret:\n  - " + secret + "\n",
		"api-secret: {value: " + secret + "}\n",
		"api-secret: " + secret + "\napi-secret: " + secret + "\n",
		"token: &t " + secret + "\nroom: *t\n",
		"api-secrte: " + secret + "\n",
		"apisecret: " + secret + "\n",
		"api-secret: " + secret + "\nurl: [\n",
		secret + "\n", // a secret's own file given as the configuration
		"\"" + secret + "\"\n",
		secret + "\n" + secret + "\n",
		"- " + secret + "\n",
		"eyJhbGciOiJIUzI1NiJ9." + secret + ": 1\n", // a pasted token as a key
		"api-secret: |\n  " + secret + "\n",
	} {
		path := writeConfig(t, src)
		fs := sampleFlags()
		err := Apply(path, fs, sampleOptions)
		if err == nil {
			t.Errorf("%q: no error", src)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%q: the error shows the secret: %v", src, err)
		}
		if get(t, fs, "api-secret") != "" || get(t, fs, "token") != "" || get(t, fs, "room") != "" {
			t.Errorf("%q: a secret was set from the file", src)
		}
	}
}

func TestFileProblems(t *testing.T) {
	defer leaktest.Check(t)()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("url: ws://x\n"+strings.Repeat("# padding\n", MaxFileBytes/10+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	limit := filepath.Join(dir, "limit.yaml")
	head := "url: ws://x\n"
	if err := os.WriteFile(limit, []byte(head+strings.Repeat("#", MaxFileBytes-len(head)-1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.yaml"), "missing.yaml: cannot read the configuration file: no such file: check the path"},
		{dir, filepath.Base(dir) + ": is a directory: give the path of the configuration file itself"},
		{big, "big.yaml: the file is larger than 1 MiB, far more than a configuration holds: is it the right file?"},
		{limit, "<nil>"}, // exactly at the bound is fine
	} {
		fs := sampleFlags()
		err := Apply(tt.path, fs, sampleOptions)
		if got := relative(err, filepath.Join(dir, "x")); got != tt.want && relative(err, dir) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.path, got, tt.want)
		}
		if err != nil && fs.Changed("url") {
			t.Errorf("%s: a refused file set url", tt.path)
		}
	}
}

func TestUnreadableFile(t *testing.T) {
	defer leaktest.Check(t)()
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	path := writeConfig(t, "url: ws://x\n")
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	want := "kiosk.yaml: cannot read the configuration file: permission denied: the file must be readable by the user the program runs as"
	if got := relative(Apply(path, sampleFlags(), sampleOptions), path); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestErrorsBounded: a file of another format fails on every line; the
// user sees the first problems and a count, not thousands of lines.
func TestErrorsBounded(t *testing.T) {
	defer leaktest.Check(t)()
	var b strings.Builder
	for i := range 50 {
		b.WriteString("unknown-" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": 1\n")
	}
	path := writeConfig(t, b.String())
	lines := strings.Split(relative(Apply(path, sampleFlags(), sampleOptions), path), "\n")
	if len(lines) != maxErrors+1 || lines[maxErrors] != "kiosk.yaml: and 30 more problems" {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	if !strings.HasPrefix(lines[0], "kiosk.yaml:1:1: ") || !strings.HasPrefix(lines[19], "kiosk.yaml:20:1: ") {
		t.Errorf("not in file order: %q ... %q", lines[0], lines[19])
	}
}

// TestDuplicateThroughNormalizing: a command whose flags accept agent_name
// for agent-name sees the two spellings as one key.
func TestDuplicateThroughNormalizing(t *testing.T) {
	defer leaktest.Check(t)()
	fs := sampleFlags()
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
	})
	path := writeConfig(t, "agent_name: a\nroom: r\nagent-name: b\n")
	want := `kiosk.yaml:3:1: duplicate key "agent-name" (first at line 1): keep one`
	if got := relative(Apply(path, fs, sampleOptions), path); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := Apply(writeConfig(t, "agent_name: a\n"), fs, sampleOptions); err != nil || get(t, fs, "agent-name") != "a" {
		t.Errorf("agent_name: %v, agent-name = %q", err, get(t, fs, "agent-name"))
	}
}
