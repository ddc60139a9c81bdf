// Command lkserver runs the local LiveKit server the way the tests do (free
// loopback ports, devkey/secret) until it is interrupted. It prints the
// server's WebSocket URL on stdout, so a script can read it, and the
// server's log on stderr when the server dies.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/webcall-cli/webcall/internal/lkserver"
)

func main() { os.Exit(run()) }

func run() int {
	var cfg lkserver.Config
	flag.IntVar(&cfg.Port, "port", 0, "HTTP/WebSocket port (0: a free one)")
	flag.IntVar(&cfg.TCPPort, "rtc-tcp-port", 0, "WebRTC TCP port (0: a free one)")
	flag.IntVar(&cfg.UDPPort, "rtc-udp-port", 0, "WebRTC UDP port (0: a free one)")
	flag.StringVar(&cfg.LogLevel, "log-level", "info", "server log level")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s, err := lkserver.StartProcess(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lkserver:", err)
		return 1
	}
	fmt.Println(s.URL)
	fmt.Fprintf(os.Stderr, "lkserver: LiveKit server on %s (key %s); Ctrl-C stops it\n", s.URL, s.APIKey)

	select {
	case <-ctx.Done():
		if err := s.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "lkserver:", err)
			return 1
		}
		return 0
	case <-s.Exited():
		fmt.Fprintf(os.Stderr, "lkserver: the server exited; its log (all of it in %s):\n%s", s.LogPath(), s.LogTail())
		return 1
	}
}
