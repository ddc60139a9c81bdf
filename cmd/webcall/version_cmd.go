package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// commit is the revision the Makefile stamps through -ldflags, for
// builds where the Go toolchain records none (GOFLAGS=-buildvcs=false,
// a source tarball).
var commit = ""

// versionModules are the libraries whose versions decide how a call
// behaves on the wire, in the order `webcall version` prints them. A bug
// report needs them as much as webcall's own version.
var versionModules = []string{
	"github.com/livekit/server-sdk-go/v2",
	"github.com/livekit/protocol",
	"github.com/pion/webrtc/v4",
}

// buildInfo is what `webcall version` reports; --json prints it as is.
type buildInfo struct {
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, when the Go
	// toolchain stamped it (a build inside a git checkout).
	Commit     string `json:"commit,omitempty"`
	CommitTime string `json:"commit_time,omitempty"`
	// Modified: the checkout had uncommitted changes.
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	// Modules maps a module path to the version linked in; a module
	// replaced in go.mod shows the replacement's version.
	Modules map[string]string `json:"modules"`
}

// readBuildInfo collects buildInfo from the version the Makefile stamps
// (ldflags) and what the Go toolchain records in every binary.
func readBuildInfo() buildInfo {
	b := buildInfo{
		Version:  version,
		Commit:   commit,
		Go:       runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Modules:  map[string]string{},
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	// `go install .../cmd/webcall@v1.2.3` stamps no ldflags but records
	// the module's version; "(devel)" is a plain build of a checkout.
	if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			// The toolchain's record, with its time and modified
			// flag, is the more precise one.
			b.Commit = s.Value
		case "vcs.time":
			b.CommitTime = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	for _, d := range bi.Deps {
		for _, want := range versionModules {
			if d.Path != want {
				continue
			}
			v := d.Version
			if d.Replace != nil && d.Replace.Version != "" {
				v = d.Replace.Version
			}
			b.Modules[want] = v
		}
	}
	return b
}

// text is the human form: the version on the first line, as
// `webcall --version` prints it too, then one aligned line per fact.
func (b buildInfo) text() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "webcall version %s\n", b.Version)
	row := func(k, v string) { fmt.Fprintf(&sb, "  %-38s %s\n", k, v) }
	if b.Commit != "" {
		commit := b.Commit
		if b.CommitTime != "" {
			commit += " (" + b.CommitTime + ")"
		}
		if b.Modified {
			commit += " with local changes"
		}
		row("commit", commit)
	}
	row("go", b.Go+" "+b.Platform)
	for _, m := range versionModules {
		if v, ok := b.Modules[m]; ok {
			row(m, v)
		}
	}
	return sb.String()
}

func newVersionCmd(s *streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print webcall's version and the Go, LiveKit SDK and pion versions it was built with",
		Long: strings.TrimSpace(`
Print the version of webcall, the commit it was built from (when the build
recorded one), the Go version, and the versions of the LiveKit Go SDK, the
LiveKit protocol and pion/webrtc linked into this binary: what a bug report
needs. webcall --version prints the same.`),
		Example: strings.Trim(`
  # What to paste into a bug report
  webcall version

  # The LiveKit SDK's version, for a script
  webcall version --json | jq -r '.modules["github.com/livekit/server-sdk-go/v2"]'`, "\n"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return printVersion(s.Out, readBuildInfo(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object: version, commit, commit_time, modified, go, platform, and modules (module path to version)")
	return cmd
}

func printVersion(w io.Writer, b buildInfo, asJSON bool) error {
	if !asJSON {
		_, err := io.WriteString(w, b.text())
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}
