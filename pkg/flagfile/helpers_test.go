package flagfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// format is a flag value of its own type, as commands define for a choice
// among words: its Set error is passed on.
type format string

func (f *format) String() string { return string(*f) }
func (f *format) Type() string   { return "format" }
func (f *format) Set(s string) error {
	if s != "text" && s != "json" {
		return errors.New("must be text or json")
	}
	*f = format(s)
	return nil
}

var _ pflag.Value = (*format)(nil)

// sampleFlags is a FlagSet with one flag of every kind a command has.
func sampleFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("kiosk", pflag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	fs.String("url", "", "server `URL`")
	fs.String("agent-name", "", "agent to dispatch")
	fs.String("token-endpoint", "", "where to get a token")
	fs.String("room", "", "room to join")
	fs.String("data", "", "request body")
	fs.Bool("always-on", false, "call again after each call")
	fs.Duration("pause", 5*time.Second, "pause between calls")
	fs.String("listen", "127.0.0.1:8080", "control API address")
	fs.StringArrayP("header", "H", nil, "request header (repeatable)")
	fs.StringSlice("tag", []string{"kiosk"}, "tags, comma separated")
	fs.Int("calls", 0, "stop after this many calls")
	fs.Uint8("level", 3, "a small number")
	fs.Float64("volume", 1, "playback gain")
	f := format("text")
	fs.Var(&f, "log-format", "text or json")
	fs.String("api-secret", "", "the secret")
	fs.String("api-secret-file", "", "file holding the secret")
	fs.String("token", "", "a ready token")
	fs.String("config", "", "this file")
	fs.Bool("help", false, "help")
	fs.String("debug-internals", "", "hidden")
	_ = fs.MarkHidden("debug-internals")
	fs.String("old-name", "", "deprecated")
	_ = fs.MarkDeprecated("old-name", "use room")
	return fs
}

// sampleOptions says what a kiosk's command would: two secrets, and the
// flags that make no sense in the file.
var sampleOptions = Options{
	Secret: func(name string) (string, bool) {
		switch name {
		case "api-secret":
			return "api-secret-file (a file only the kiosk can read) or the environment", true
		case "token":
			return "", true
		}
		return "", false
	},
	Refuse: func(name string) (string, bool) {
		switch name {
		case "config":
			return "a configuration file cannot name another", true
		case "help":
			return "it is for the command line", true
		}
		return "", false
	},
}

// writeConfig writes src to kiosk.yaml in a fresh directory and returns
// its path.
func writeConfig(t testing.TB, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiosk.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// relative shows an error as a user who gave "kiosk.yaml" sees it.
func relative(err error, path string) string {
	if err == nil {
		return "<nil>"
	}
	return strings.ReplaceAll(err.Error(), filepath.Dir(path)+string(filepath.Separator), "")
}

// values renders every flag of fs, changed or not, for comparisons.
func values(fs *pflag.FlagSet) string {
	var b strings.Builder
	fs.VisitAll(func(fl *pflag.Flag) {
		fmt.Fprintf(&b, "%s=%s changed=%v\n", fl.Name, fl.Value.String(), fl.Changed)
	})
	return b.String()
}

func get(t *testing.T, fs *pflag.FlagSet, name string) string {
	t.Helper()
	fl := fs.Lookup(name)
	if fl == nil {
		t.Fatalf("no flag %q", name)
	}
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), "|")
	}
	return fl.Value.String()
}
