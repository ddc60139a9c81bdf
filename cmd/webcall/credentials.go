package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
)

// Environment variables for credentials, shared with LiveKit's own tools so
// that a shell set up for the lk CLI works here as is.
const (
	envURL       = "LIVEKIT_URL"
	envToken     = "LIVEKIT_TOKEN"
	envAPIKey    = "LIVEKIT_API_KEY"
	envAPISecret = "LIVEKIT_API_SECRET"
)

// credentialOptions holds every flag that says where a call's credentials
// come from. Flags win over the environment; source() decides which kind of
// token.Source the combination asks for.
type credentialOptions struct {
	url       string
	token     string
	apiKey    string
	apiSecret string

	// Used when minting: what the token says about the participant and room.
	room          string
	identity      string
	name          string
	agentName     string
	agentMetadata string
}

func addCredentialFlags(fs *pflag.FlagSet, o *credentialOptions) {
	fs.StringVar(&o.url, "url", "",
		"LiveKit server URL, as shown in your LiveKit project settings: wss://<project>.livekit.cloud, or ws://127.0.0.1:7880 for a local server; http(s):// works too (env "+envURL+")")
	fs.StringVar(&o.token, "token", "",
		"access token (JWT) issued by your backend for this call; prefer the env var "+envToken+", since a flag value is visible to other local users")
	fs.StringVar(&o.apiKey, "api-key", "",
		"LiveKit API key (project settings > API keys, or the keys: section of livekit-server's config) to mint a token locally (env "+envAPIKey+")")
	fs.StringVar(&o.apiSecret, "api-secret", "",
		"LiveKit API secret belonging to --api-key; prefer the env var "+envAPISecret+", since a flag value is visible to other local users")
	fs.StringVar(&o.room, "room", "",
		"room to create or join when minting a token (default: a fresh random room per call, so no old agent is waiting in it)")
	fs.StringVar(&o.identity, "identity", "",
		"your participant identity when minting a token (default: a random webcall-user-<id>)")
	fs.StringVar(&o.name, "name", "",
		"your display name in the room when minting a token")
	fs.StringVar(&o.agentName, "agent-name", "",
		"dispatch the agent registered under this name into the room (explicit dispatch, written into the minted token); agents deployed with an agent_name only join when asked like this")
	fs.StringVar(&o.agentMetadata, "agent-metadata", "",
		"metadata handed to the dispatched agent's job (any string, often JSON); needs --agent-name")
}

// source picks the token source from the flags and, where a flag is not
// set, the environment (env is os.Getenv in production). It registers every
// secret it sees with redact.Default before anything can print it, and
// warns on warn when a secret was given as a flag value.
func (o *credentialOptions) source(env func(string) string, warn io.Writer) (token.Source, error) {
	// Which of the two kinds the user asked for by flag decides first; the
	// environment only fills in what the flags leave open.
	flagToken := o.token != ""
	flagMint := o.apiKey != "" || o.apiSecret != ""
	if flagToken && flagMint {
		return nil, failure.New(failure.Usage, "--token and --api-key/--api-secret both given; a call uses either a ready token or a key to mint one").
			WithHint("drop --token to mint a token locally, or drop --api-key and --api-secret to use the token")
	}

	url := pick(o.url, env(envURL))
	tok, key, secret := pick(o.token), pick(o.apiKey), pick(o.apiSecret)
	if !flagToken && !flagMint {
		tok = env(envToken)
		key, secret = env(envAPIKey), env(envAPISecret)
		if tok != "" && (key != "" || secret != "") {
			return nil, failure.Newf(failure.Usage, "both %s and %s/%s are set, so it is unclear whether to use the token or mint one", envToken, envAPIKey, envAPISecret).
				WithHint("pass --token or --api-key/--api-secret to choose, or unset one of them")
		}
	} else if flagMint {
		// A key from the flag with the secret from the environment (or the
		// other way round) is a normal way to keep only the secret hidden.
		key, secret = pick(key, env(envAPIKey)), pick(secret, env(envAPISecret))
	}
	redact.Add(tok, key, secret)

	o.warnPlainSecrets(warn)

	switch {
	case tok != "":
		if f := o.mintOnlyFlag(); f != "" {
			return nil, failure.Newf(failure.Usage, "%s has no effect with a ready token: the token already fixes the room, identity and agent dispatch", f).
				WithHint("mint the token yourself with --api-key/--api-secret to choose these, or ask your token server for them")
		}
		if url == "" {
			return nil, errNoURL()
		}
		return redacting{token.Static{URL: url, Token: tok}}, nil
	case key != "" || secret != "":
		if key == "" {
			return nil, failure.New(failure.Usage, "an API secret was given without its API key").
				WithHint("set " + envAPIKey + " or pass --api-key")
		}
		if secret == "" {
			return nil, failure.New(failure.Usage, "an API key was given without its API secret").
				WithHint("set " + envAPISecret + " (or pass --api-secret)")
		}
		if url == "" {
			return nil, errNoURL()
		}
		return redacting{token.Minted{
			URL:           url,
			APIKey:        key,
			APISecret:     secret,
			Room:          o.room,
			Identity:      o.identity,
			Name:          o.name,
			AgentName:     o.agentName,
			AgentMetadata: o.agentMetadata,
		}}, nil
	default:
		return nil, failure.New(failure.Usage, "no credentials for the call").
			WithHint("give the server with --url (or " + envURL + ") and either a token (" + envToken + ") or an API key and secret to mint one (" + envAPIKey + ", " + envAPISecret + ")")
	}
}

func errNoURL() error {
	return failure.New(failure.Usage, "no LiveKit server URL given").
		WithHint("pass --url wss://<project>.livekit.cloud (or set " + envURL + "); for a local server use ws://127.0.0.1:7880")
}

// mintOnlyFlag names the first set flag that only means something when
// webcall mints the token itself.
func (o *credentialOptions) mintOnlyFlag() string {
	for _, f := range []struct{ name, value string }{
		{"--room", o.room},
		{"--identity", o.identity},
		{"--name", o.name},
		{"--agent-name", o.agentName},
		{"--agent-metadata", o.agentMetadata},
	} {
		if f.value != "" {
			return f.name
		}
	}
	return ""
}

// warnPlainSecrets warns about secrets given as flag values: the command
// line of a running process is readable by every local user (ps, /proc).
func (o *credentialOptions) warnPlainSecrets(warn io.Writer) {
	for _, f := range []struct{ flag, value, env string }{
		{"--token", o.token, envToken},
		{"--api-secret", o.apiSecret, envAPISecret},
	} {
		if f.value != "" {
			fmt.Fprintf(warn, "warning: %s given on the command line is visible to other local users (ps); set %s instead, e.g. from a file: %s=$(cat file)\n", f.flag, f.env, f.env)
		}
	}
}

// pick returns the first non-empty value, with surrounding white space (a
// common leftover of copy and paste or of $(cat file)) removed.
func pick(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// redacting registers every token its source hands out with redact.Default
// before the caller can print or log it.
type redacting struct{ token.Source }

func (r redacting) Fetch(ctx context.Context) (token.Credentials, error) {
	c, err := r.Source.Fetch(ctx)
	if c.Token != "" {
		redact.Add(c.Token)
	}
	return c, err
}
