package main

import (
	"github.com/spf13/cobra"

	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/token"
)

// addCAFileFlag gives cmd --ca-file: a PEM bundle trusted on top of the
// system store, for a server (and its token endpoint) behind a private
// CA. Without it the system store is used as Go uses it, SSL_CERT_FILE
// and SSL_CERT_DIR included.
//
// The file is loaded in PreRunE, after the flags are parsed and before
// the command runs, so that a bad file is a usage error before anything
// connects. The roots it sets are process-wide (see pkg/room's tls.go:
// the SDK dials through package defaults), which is right for a command
// that runs once per process.
func addCAFileFlag(cmd *cobra.Command) {
	var path string
	cmd.Flags().StringVar(&path, "ca-file", "",
		"trust the CA certificates in this PEM `FILE` as well as the system's, for a wss:// server (and its token endpoint) with a private CA")
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(c, args); err != nil {
				return err
			}
		}
		return useCAFile(path)
	}
}

// useCAFile makes every connection of the process trust the CAs in path
// besides the system's; "" changes nothing.
func useCAFile(path string) error {
	if path == "" {
		return nil
	}
	pool, err := room.LoadRootCAs(path)
	if err != nil {
		return err
	}
	room.SetRootCAs(pool)
	token.SetRootCAs(pool)
	return nil
}
