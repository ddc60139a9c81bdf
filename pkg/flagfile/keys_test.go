package flagfile

import (
	"regexp"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

func TestKeys(t *testing.T) {
	defer leaktest.Check(t)()
	got := strings.Join(Keys(sampleFlags(), sampleOptions.Skip()), " ")
	want := "agent-name always-on api-secret-file calls data header level listen log-format pause room tag token-endpoint url volume"
	if got != want {
		t.Errorf("Keys = %s\nwant   %s", got, want)
	}
	all := Keys(sampleFlags(), nil)
	for _, k := range []string{"api-secret", "token", "config", "help"} {
		if !contains(all, k) {
			t.Errorf("Keys without skip lacks %s", k)
		}
	}
	for _, k := range []string{"debug-internals", "old-name"} {
		if contains(all, k) {
			t.Errorf("Keys lists the hidden or deprecated %s", k)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestTemplateReadsBack: the template is a valid file as it is (all
// commented out), and with every key uncommented it sets each flag to the
// value it already had, so a user can uncomment any line safely.
func TestTemplateReadsBack(t *testing.T) {
	defer leaktest.Check(t)()
	fs := sampleFlags()
	if err := fs.Parse([]string{"--url", `ws://127.0.0.1:7880/"quoted"`, "-H", "A: 1", "-H", "B: 2", "--pause", "45s"}); err != nil {
		t.Fatal(err)
	}
	tmpl := string(Template(fs, sampleOptions))

	if err := Apply(writeConfig(t, tmpl), sampleFlags(), sampleOptions); err != nil {
		t.Fatalf("the template as it is: %v\n%s", err, tmpl)
	}

	keyLine := regexp.MustCompile(`(?m)^# ([a-z][a-z0-9-]*): `)
	uncommented := keyLine.ReplaceAllString(tmpl, "$1: ")
	var keys []string
	for _, m := range keyLine.FindAllStringSubmatch(tmpl, -1) {
		keys = append(keys, m[1])
	}
	if got, want := strings.Join(keys, " "), strings.Join(Keys(fs, sampleOptions.Skip()), " "); got != want {
		t.Errorf("template keys %s\nwant %s", got, want)
	}
	back := sampleFlags()
	if err := Apply(writeConfig(t, uncommented), back, sampleOptions); err != nil {
		t.Fatalf("the template uncommented: %v\n%s", err, uncommented)
	}
	for _, k := range keys {
		if a, b := get(t, fs, k), get(t, back, k); a != b {
			t.Errorf("%s: template gives %q, want %q", k, b, a)
		}
	}
	for _, line := range []string{
		"# api-secret is a secret and is not read from this file: use api-secret-file (a file only the kiosk can read) or the environment",
		"# token is a secret and is not read from this file: use a file of its own or the environment",
		"# server URL\n# url: \"ws://127.0.0.1:7880/\\\"quoted\\\"\"",
		"# header: [\"A: 1\", \"B: 2\"]",
		"# pause: 45s",
	} {
		if !strings.Contains(tmpl, line) {
			t.Errorf("the template lacks %q:\n%s", line, tmpl)
		}
	}
	for _, refused := range []string{"config", "help", "debug-internals", "old-name"} {
		if strings.Contains(tmpl, "# "+refused+":") {
			t.Errorf("the template offers %s", refused)
		}
	}
}
