package main

import (
	"io"
	"strings"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
)

// source picks the token source from the flags and, where a flag is not
// set, the environment (env is os.Getenv in production). It registers every
// secret it sees with redact.Default before anything can print it, and
// warns on warn when a secret was given as a flag value.
func (o *credentialOptions) source(env func(string) string, warn io.Writer) (token.Source, error) {
	if err := o.checkModeFlags(); err != nil {
		return nil, err
	}
	var (
		src token.Source
		err error
	)
	switch {
	case o.provider != "":
		src, err = o.hmsSource(env, warn)
	case o.tokenEndpoint != "":
		src, err = o.endpointSource(env, warn)
	default:
		src, err = o.liveKitSource(env, warn)
	}
	if err != nil {
		return nil, err
	}
	return redacting{src}, nil
}

// checkModeFlags refuses flags that belong to a mode other than the one
// asked for, naming both, instead of silently ignoring them.
func (o *credentialOptions) checkModeFlags() error {
	if o.provider != "" && strings.ToLower(o.provider) != providerHMS {
		return failure.Newf(failure.Usage, "unknown --provider %q", o.provider).
			WithHint(`the supported provider is "hms" (HMS Sovereign); for any other platform, use --token-endpoint with your backend`)
	}
	hmsOnly := setFlags(
		"--api-base", o.apiBase, "--api-key-file", o.apiKeyFile, "--assistant-id", o.assistantID,
		"--assistant-override", o.assistantOverride, "--assistant", o.assistant, "--metadata", strings.Join(o.metadata, ""))
	endpointOnly := setFlags("--header", strings.Join(o.headers, ""), "--data", o.data)
	switch {
	case o.provider != "":
		if o.tokenEndpoint != "" {
			return failure.New(failure.Usage, "--provider and --token-endpoint both given; the call comes either from the provider's API or from your backend").
				WithHint("drop one of them")
		}
		if f := firstNonEmpty(setFlags("--url", o.url, "--token", o.token, "--api-secret", o.apiSecret), o.participant.set(), endpointOnly); f != "" {
			return failure.Newf(failure.Usage, "%s has no effect with --provider %s: the provider creates the room and the token", f, providerHMS).
				WithHint("leave it out; configure the call with --assistant-id, --assistant-override, --assistant and --metadata")
		}
	case o.tokenEndpoint != "":
		if f := setFlags("--token", o.token, "--api-key", o.apiKey, "--api-secret", o.apiSecret); f != "" {
			return failure.Newf(failure.Usage, "%s has no effect with --token-endpoint: the endpoint hands out the token", f).
				WithHint("pass your backend's credentials as a header instead, e.g. -H 'Authorization: Bearer ...' (or -H @FILE)")
		}
		if f := hmsOnly; f != "" {
			return failure.Newf(failure.Usage, "%s needs --provider %s", f, providerHMS)
		}
		if o.data != "" {
			if f := o.participant.set(); f != "" {
				return failure.Newf(failure.Usage, "%s has no effect with --data: --data replaces the whole request body", f).
					WithHint("put the value into the --data JSON instead (e.g. \"room_name\"), or drop --data")
			}
		}
	default:
		if f := hmsOnly; f != "" {
			return failure.Newf(failure.Usage, "%s needs --provider %s", f, providerHMS).
				WithHint("add --provider hms to create an HMS Sovereign web call")
		}
		if f := endpointOnly; f != "" {
			return failure.Newf(failure.Usage, "%s needs --token-endpoint", f).
				WithHint("add --token-endpoint URL to ask your backend for the token")
		}
	}
	return nil
}

// liveKitSource is a ready token or a key pair to mint with.
func (o *credentialOptions) liveKitSource(env func(string) string, warn io.Writer) (token.Source, error) {
	// Which of the two kinds the user asked for by flag decides first; the
	// environment only fills in what the flags leave open.
	flagToken := o.token != ""
	flagMint := o.apiKey != "" || o.apiSecret != ""
	if flagToken && flagMint {
		return nil, failure.New(failure.Usage, "--token and --api-key/--api-secret both given; a call uses either a ready token or a key to mint one").
			WithHint("drop --token to mint a token here, or drop --api-key and --api-secret to use the token")
	}

	serverURL := firstTrimmed(o.url, env(envURL))
	tok, key, secret := firstTrimmed(o.token), firstTrimmed(o.apiKey), firstTrimmed(o.apiSecret)
	if !flagToken && !flagMint {
		tok = firstTrimmed(env(envToken))
		key, secret = firstTrimmed(env(envAPIKey)), firstTrimmed(env(envAPISecret))
		if tok != "" && (key != "" || secret != "") {
			return nil, failure.Newf(failure.Usage, "both %s and %s/%s are set, so it is unclear whether to use the token or mint one", envToken, envAPIKey, envAPISecret).
				WithHint("pass --token or --api-key/--api-secret to choose, or unset one of them")
		}
	} else if flagMint {
		// A key from the flag with the secret from the environment (or the
		// other way round) is a normal way to keep only the secret hidden.
		key, secret = firstTrimmed(key, env(envAPIKey)), firstTrimmed(secret, env(envAPISecret))
	}
	redact.Add(tok, key, secret)
	warnPlain(warn, "--token", o.token, envToken)
	warnPlain(warn, "--api-secret", o.apiSecret, envAPISecret)

	// Each source's Check is what its Fetch would refuse; calling it here
	// fails before any input is loaded.
	switch {
	case tok != "":
		if f := o.participant.set(); f != "" {
			return nil, failure.Newf(failure.Usage, "%s has no effect with a ready token: the token already fixes the room, the identity and the agent dispatch", f).
				WithHint("mint the token here with --api-key/--api-secret to choose these, or ask your token server for them (--token-endpoint)")
		}
		s := token.Static{URL: serverURL, Token: tok}
		if err := s.Check(); err != nil {
			return nil, err
		}
		return s, nil
	case key != "" || secret != "":
		m, err := o.participant.minted()
		if err != nil {
			return nil, err
		}
		m.URL, m.APIKey, m.APISecret = serverURL, key, secret
		if err := m.Check(); err != nil {
			return nil, err
		}
		return m, nil
	default:
		// The condition call.Run would report, found before any input is
		// loaded; hints.go says which flags give credentials.
		return nil, failure.New(failure.Usage, "no credentials for the call").WithCond(call.ErrNoCredentials)
	}
}

// hmsKey finds the HMS organization key: --api-key (works, but warns),
// --api-key-file, or HMS_API_KEY. None is not an error here: the source's
// Check reports it (token.ErrNoHMSKey).
func (o *credentialOptions) hmsKey(env func(string) string, warn io.Writer) (string, error) {
	if o.apiKey != "" && o.apiKeyFile != "" {
		return "", failure.New(failure.Usage, "--api-key and --api-key-file both given").
			WithHint("keep --api-key-file: a key in a file stays out of the process list")
	}
	var key string
	switch {
	case o.apiKey != "":
		key = firstTrimmed(o.apiKey)
		redact.Add(key)
		warnPlain(warn, "--api-key", o.apiKey, envHMSKey+" or use --api-key-file")
	case o.apiKeyFile != "":
		var err error
		if key, err = readSecretFile("--api-key-file", o.apiKeyFile, warn); err != nil {
			return "", err
		}
	default:
		key = firstTrimmed(env(envHMSKey))
		redact.Add(key)
	}
	return key, nil
}

// set names the first participant flag that was given, or "".
func (p *participantOptions) set() string {
	return setFlags("--room", p.room, "--identity", p.identity, "--name", p.name,
		"--participant-metadata", p.metadata, "--attribute", strings.Join(p.attributes, ""),
		"--agent-name", p.agentName, "--agent-metadata", p.agentMetadata)
}

// setFlags takes name, value pairs and returns the first name whose value
// is not empty.
func setFlags(pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			return pairs[i]
		}
	}
	return ""
}

// firstTrimmed returns the first non-empty value, with surrounding white space (a
// common leftover of copy and paste or of $(cat file)) removed.
func firstTrimmed(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
