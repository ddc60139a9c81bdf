package flagfile

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// Keys returns the keys a configuration file may hold for fs, sorted: the
// names of its flags, without hidden and deprecated ones and those skip
// reports (a caller passes the secrets and refused flags of its Options,
// or nil to keep them), so that a README or a help text can list them.
func Keys(fs *pflag.FlagSet, skip func(name string) bool) []string {
	var keys []string
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Hidden || fl.Deprecated != "" || skip != nil && skip(fl.Name) {
			return
		}
		keys = append(keys, fl.Name)
	})
	sort.Strings(keys)
	return keys
}

// Skip returns the skip func for Keys that leaves out what opts refuses in
// a file: its secrets and refused flags.
func (opts Options) Skip() func(name string) bool {
	return func(name string) bool {
		if opts.Secret != nil {
			if _, secret := opts.Secret(name); secret {
				return true
			}
		}
		if opts.Refuse != nil {
			if _, refused := opts.Refuse(name); refused {
				return true
			}
		}
		return false
	}
}

// Template returns a configuration file for fs with every key commented
// out at the value fs holds (its default, on a FlagSet not yet parsed),
// each under its flag's help, and the secrets as
// comments saying where they come from instead. As it is, the template
// sets nothing; a key uncommented sets its default, so a user edits only
// the lines they need.
func Template(fs *pflag.FlagSet, opts Options) []byte {
	var b bytes.Buffer
	b.WriteString("# Each key is a flag name without its dashes; the command line wins over the file.\n")
	skip := opts.Skip()
	for _, name := range Keys(fs, nil) {
		fl := fs.Lookup(name)
		if opts.Secret != nil {
			if instead, secret := opts.Secret(name); secret {
				if instead == "" {
					instead = "a file of its own or the environment"
				}
				fmt.Fprintf(&b, "\n# %s is a secret and is not read from this file: use %s\n", name, instead)
				continue
			}
		}
		if skip(name) {
			continue
		}
		b.WriteString("\n")
		for _, line := range wrap(usage(fl), 76) {
			b.WriteString("# " + line + "\n")
		}
		fmt.Fprintf(&b, "# %s: %s\n", name, yamlDefault(fl))
	}
	return b.Bytes()
}

// usage is a flag's help as pflag shows it, its `NAME` marks taken out.
func usage(fl *pflag.Flag) string {
	_, u := pflag.UnquoteUsage(fl)
	return strings.Join(strings.Fields(u), " ")
}

// yamlDefault writes a flag's value as YAML that Apply reads back to the
// same value.
func yamlDefault(fl *pflag.Flag) string {
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		items := sv.GetSlice()
		quoted := make([]string, len(items))
		for i, it := range items {
			quoted[i] = strconv.Quote(it)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	}
	switch fl.Value.Type() {
	case "string":
		return strconv.Quote(fl.Value.String())
	case "bool", "duration", "int", "int8", "int16", "int32", "int64",
		"uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "count":
		return fl.Value.String()
	}
	return strconv.Quote(fl.Value.String())
}

// wrap breaks text into lines of at most width bytes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
