package flagfile

import (
	"os"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

// TestREADMEExample applies the README's example file, so that what users
// copy from the README is a file this package reads as the README says.
func TestREADMEExample(t *testing.T) {
	defer leaktest.Check(t)()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Configuration file\n")
	if !ok {
		t.Fatal("the README has no Configuration file section")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("the Configuration file section has no yaml example")
	}
	example, _, _ := strings.Cut(block, "```")
	path := writeConfig(t, example)
	fs := sampleFlags()
	if err := Apply(path, fs, sampleOptions); err != nil {
		t.Fatalf("the README's example: %v", err)
	}
	for name, want := range map[string]string{
		"token-endpoint": "https://app.example.com/api/start-call",
		"header":         "@/etc/webcall/endpoint-headers",
		"agent-name":     "lobby-assistant",
		"always-on":      "true",
		"pause":          "30s",
		"listen":         "127.0.0.1:8790",
	} {
		if got := get(t, fs, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
