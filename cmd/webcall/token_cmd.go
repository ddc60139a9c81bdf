package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
)

// tokenOptions holds everything `webcall token` was told.
type tokenOptions struct {
	io *streams

	url       string
	apiKey    string
	apiSecret string

	participant participantOptions
	ttl         time.Duration
	grants      grantOptions
	json        bool
}

// grantOptions are the permissions written into the token. Only flags the
// user set are written: LiveKit treats a missing permission as granted
// (publish, subscribe, data) or refused (the rest).
type grantOptions struct {
	fs                *pflag.FlagSet
	canPublish        bool
	canSubscribe      bool
	canPublishData    bool
	canUpdateMetadata bool
	hidden            bool
	roomAdmin         bool
	roomCreate        bool
	roomList          bool
	roomRecord        bool
	agent             bool
}

// tokenOutput is what --json prints.
type tokenOutput struct {
	Token     string `json:"token"`
	URL       string `json:"url,omitempty"`
	Room      string `json:"room"`
	Identity  string `json:"identity"`
	Name      string `json:"name,omitempty"`
	AgentName string `json:"agent_name,omitempty"`
	ExpiresAt string `json:"expires_at"`
}

// newTokenCmd builds `webcall token`, which prints a token minted from an
// API key and secret.
func newTokenCmd(s *streams) *cobra.Command {
	o := &tokenOptions{io: s}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print an access token minted from an API key and secret",
		Long: strings.TrimSpace(`
Mint a LiveKit access token locally and print it on stdout, for a
self-hosted server, for another client, or for a script.

The key and secret come from LIVEKIT_API_KEY and LIVEKIT_API_SECRET (or
--api-key and --api-secret): the project's API keys on LiveKit Cloud, or the
keys: section of livekit-server's config. The token lets one participant
join one room; by default a fresh random room and identity, valid for 10
minutes. --agent-name makes the server dispatch that agent into the room
when the token's holder creates it.

The token is a secret: whoever holds it can join the room until it expires.
--json prints it with the server URL (from --url or LIVEKIT_URL), room,
identity and expiry.`),
		Example: strings.Trim(`
  # A token for the local dev server that brings in the agent "my-agent"
  LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret \
      webcall token --room support-1 --identity alice --agent-name my-agent

  # For a script: everything needed to connect, as JSON
  webcall token --url wss://example.livekit.cloud --ttl 1h --json | jq -r .token

  # A token for a recorder that stays out of sight and only listens
  webcall token --room support-1 --identity recorder --hidden --can-publish=false`, "\n"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runToken(o)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	addLiveKitKeyFlags(fs, &o.url, &o.apiKey, &o.apiSecret, "")
	addParticipantFlags(fs, &o.participant)
	fs.DurationVar(&o.ttl, "ttl", token.DefaultTTL, "how long the token can be used to join (a call already joined is not cut off)")
	addGrantFlags(fs, &o.grants)
	fs.BoolVar(&o.json, "json", false, "print a JSON object with token, url, room, identity and expires_at instead of the bare token")
	return cmd
}

func addGrantFlags(fs *pflag.FlagSet, g *grantOptions) {
	g.fs = fs
	fs.BoolVar(&g.canPublish, "can-publish", true, "grant: publish audio and video tracks")
	fs.BoolVar(&g.canSubscribe, "can-subscribe", true, "grant: receive other participants' tracks")
	fs.BoolVar(&g.canPublishData, "can-publish-data", true, "grant: send data packets and text streams")
	fs.BoolVar(&g.canUpdateMetadata, "can-update-metadata", false, "grant: change one's own name, metadata and attributes")
	fs.BoolVar(&g.hidden, "hidden", false, "grant: join invisible to the other participants")
	fs.BoolVar(&g.roomAdmin, "room-admin", false, "grant: moderate the room (remove participants, mute tracks)")
	fs.BoolVar(&g.roomCreate, "room-create", false, "grant: create and delete rooms through the server API")
	fs.BoolVar(&g.roomList, "room-list", false, "grant: list rooms through the server API")
	fs.BoolVar(&g.roomRecord, "room-record", false, "grant: start and stop recordings (egress)")
	fs.BoolVar(&g.agent, "agent", false, "grant: register as an agent worker")
}

// videoGrant holds the permissions the user set; Room and RoomJoin are
// filled in by token.Minted.
func (g *grantOptions) videoGrant() *auth.VideoGrant {
	changed := func(name string) bool { return g.fs != nil && g.fs.Changed(name) }
	ptr := func(name string, v bool) *bool {
		if !changed(name) {
			return nil
		}
		return &v
	}
	return &auth.VideoGrant{
		CanPublish:           ptr("can-publish", g.canPublish),
		CanSubscribe:         ptr("can-subscribe", g.canSubscribe),
		CanPublishData:       ptr("can-publish-data", g.canPublishData),
		CanUpdateOwnMetadata: ptr("can-update-metadata", g.canUpdateMetadata),
		Hidden:               g.hidden,
		RoomAdmin:            g.roomAdmin,
		RoomCreate:           g.roomCreate,
		RoomList:             g.roomList,
		RoomRecord:           g.roomRecord,
		Agent:                g.agent,
	}
}

func runToken(o *tokenOptions) error {
	s := o.io
	key := firstTrimmed(o.apiKey, s.Getenv(envAPIKey))
	secret := firstTrimmed(o.apiSecret, s.Getenv(envAPISecret))
	// The key and secret are hidden from every output; the minted token is
	// not registered, because printing it is this command's job.
	redact.Add(key, secret)
	warnPlain(s.ErrOut, "--api-secret", o.apiSecret, envAPISecret)
	// To token.Minted a zero lifetime means its default; typed as --ttl 0
	// it is a mistake. Negative ones are Minted's to refuse.
	if o.ttl == 0 {
		return failure.New(failure.Usage, "--ttl must be positive (got 0s)").WithCond(token.ErrBadTTL)
	}
	m, err := o.participant.minted()
	if err != nil {
		return err
	}
	m.APIKey, m.APISecret, m.TTL, m.Grant = key, secret, o.ttl, o.grants.videoGrant()
	tok, claims, err := m.Mint()
	if err != nil {
		return err
	}
	// The URL is only printed (--json); minting does not need one.
	serverURL := firstTrimmed(o.url, s.Getenv(envURL))
	if serverURL != "" {
		if serverURL, err = token.NormalizeURL(serverURL); err != nil {
			return err
		}
	}

	if !o.json {
		_, err = fmt.Fprintln(s.Out, tok)
		return err
	}
	enc := json.NewEncoder(s.Out)
	enc.SetEscapeHTML(false)
	return enc.Encode(tokenOutput{
		Token:     tok,
		URL:       serverURL,
		Room:      claims.Room,
		Identity:  claims.Identity,
		Name:      claims.Name,
		AgentName: o.participant.agentName,
		ExpiresAt: claims.ExpiresAt.UTC().Format(time.RFC3339),
	})
}
