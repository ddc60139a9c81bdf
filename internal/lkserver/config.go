package lkserver

import (
	"fmt"
	"strings"
)

// Default credentials of the local server. They only ever guard a server
// bound to 127.0.0.1 that lives as long as one test or demo.
const (
	DefaultAPIKey    = "devkey"
	DefaultAPISecret = "secret"
)

// Config describes one local server. Zero values mean: pick for me.
type Config struct {
	// Binary is the livekit-server executable; empty means FindBinary's.
	Binary string
	// APIKey and APISecret default to DefaultAPIKey and DefaultAPISecret.
	APIKey    string
	APISecret string
	// Port is the HTTP and WebSocket port, TCPPort and UDPPort the WebRTC
	// ports. Zero picks a free loopback port.
	Port    int
	TCPPort int
	UDPPort int
	// LogLevel is the server's log level (debug, info, warn, error);
	// default info.
	LogLevel string
	// Extra is more top-level YAML, appended as it is (see WithTURN).
	Extra string
}

func (c Config) withDefaults() Config {
	if c.APIKey == "" {
		c.APIKey = DefaultAPIKey
	}
	if c.APISecret == "" {
		c.APISecret = DefaultAPISecret
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	return c
}

// YAML renders the server's configuration file. All ports must be set.
//
// The server is confined to loopback: without node_ip, interfaces and ips
// it advertises no usable address on a machine without a public one, and
// without stun_servers it hands clients public STUN host names that they
// then fail to look up. Its own UDP port answers STUN, so clients learn
// 127.0.0.1 and never leave the machine.
func (c Config) YAML() string {
	c = c.withDefaults()
	var b strings.Builder
	fmt.Fprintf(&b, "port: %d\n", c.Port)
	b.WriteString("bind_addresses: [\"127.0.0.1\"]\n")
	b.WriteString("rtc:\n")
	fmt.Fprintf(&b, "  tcp_port: %d\n", c.TCPPort)
	fmt.Fprintf(&b, "  udp_port: %d\n", c.UDPPort)
	b.WriteString("  use_external_ip: false\n")
	b.WriteString("  enable_loopback_candidate: true\n")
	b.WriteString("  node_ip: 127.0.0.1\n")
	b.WriteString("  interfaces:\n    includes: [lo]\n")
	b.WriteString("  ips:\n    includes: [127.0.0.1/32]\n")
	fmt.Fprintf(&b, "  stun_servers: [\"127.0.0.1:%d\"]\n", c.UDPPort)
	b.WriteString("keys:\n")
	fmt.Fprintf(&b, "  %q: %q\n", c.APIKey, c.APISecret)
	b.WriteString("logging:\n")
	fmt.Fprintf(&b, "  level: %s\n", c.LogLevel)
	b.WriteString(c.Extra)
	return b.String()
}
