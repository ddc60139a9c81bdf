package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/redact"
	"github.com/webcall-cli/webcall/pkg/token"
)

// Environment variables for credentials. The LIVEKIT_* ones are shared with
// LiveKit's own tools, so a shell set up for the lk CLI works here as is.
const (
	envURL       = "LIVEKIT_URL"
	envToken     = "LIVEKIT_TOKEN"
	envAPIKey    = "LIVEKIT_API_KEY"
	envAPISecret = "LIVEKIT_API_SECRET"
	envHMSKey    = "HMS_API_KEY"
)

const providerHMS = "hms"

// credentialOptions holds every flag that says where a call's credentials
// come from. Flags win over the environment; source() decides which kind of
// token.Source the combination asks for:
//
//	--provider hms         the HMS Sovereign API creates the call
//	--token-endpoint URL   the user's backend hands out a token
//	--token                a ready token
//	--api-key/--api-secret a token minted here
type credentialOptions struct {
	url       string
	token     string
	apiKey    string
	apiSecret string

	participant participantOptions

	tokenEndpoint string
	headers       []string
	data          string

	provider          string
	apiBase           string
	apiKeyFile        string
	assistantID       string
	assistantOverride string
	assistant         string
	metadata          []string
}

// participantOptions are what a minted token, or a token endpoint's
// request, says about the caller and the room.
type participantOptions struct {
	room          string
	identity      string
	name          string
	metadata      string
	attributes    []string
	agentName     string
	agentMetadata string
}

func addCredentialFlags(fs *pflag.FlagSet, o *credentialOptions) {
	addLiveKitKeyFlags(fs, &o.url, &o.apiKey, &o.apiSecret, "; with --provider hms, the HMS key (prefer "+envHMSKey+")")
	fs.StringVar(&o.token, "token", "",
		"access token (JWT) issued by your backend for this call; prefer the env var "+envToken+", since a flag value is visible to other local users")
	addParticipantFlags(fs, &o.participant)

	fs.StringVar(&o.tokenEndpoint, "token-endpoint", "",
		"ask your backend for the token: POST to this `URL` in LiveKit's token-endpoint convention (room_name, participant_identity, ... from the flags above); "+
			"the answer gives server_url and participant_token (or token). --url is used if the answer has no server_url")
	fs.StringArrayVarP(&o.headers, "header", "H", nil,
		"with --token-endpoint: add a request header `'Name: value'` (repeatable), e.g. your backend's auth; @FILE reads headers from a file, one per line, keeping them out of ps")
	fs.StringVar(&o.data, "data", "",
		"with --token-endpoint: the request body instead of the convention's, as `JSON|@FILE` (JSON text, or a file to read it from)")

	fs.StringVar(&o.provider, "provider", "",
		"create the call with a voice-AI platform's API instead of LiveKit credentials; `NAME` is hms (HMS Sovereign web calls; key from "+envHMSKey+" or --api-key-file)")
	fs.StringVar(&o.apiBase, "api-base", "",
		"with --provider hms: the API's address, a `URL` (default "+token.HMSDefaultAPIBase+")")
	fs.StringVar(&o.apiKeyFile, "api-key-file", "",
		"with --provider hms: read the organization API key (dashboard: Settings > API Keys) from this `FILE` instead of "+envHMSKey)
	fs.StringVar(&o.assistantID, "assistant-id", "",
		"with --provider hms: the saved assistant to call (its `UUID`, from the dashboard)")
	fs.StringVar(&o.assistantOverride, "assistant-override", "",
		"with --provider hms and --assistant-id: fields to override for this call, as `JSON|@FILE`, e.g. '{\"first_message\":\"Hi!\"}'")
	fs.StringVar(&o.assistant, "assistant", "",
		"with --provider hms: a full inline assistant with stt_config, llm_config and tts_config, instead of a saved one, as `JSON|@FILE`")
	fs.StringArrayVar(&o.metadata, "metadata", nil,
		"with --provider hms: `key=value` passed to every webhook of the call (repeatable; keys are sent exactly as written)")
}

// addLiveKitKeyFlags adds the server URL and the key pair used to mint.
// keyNote is appended to --api-key's help.
func addLiveKitKeyFlags(fs *pflag.FlagSet, serverURL, key, secret *string, keyNote string) {
	fs.StringVar(serverURL, "url", "",
		"LiveKit server `URL`, as shown in your LiveKit project settings: wss://<project>.livekit.cloud, or ws://127.0.0.1:7880 for a local server; http(s):// works too (env "+envURL+")")
	fs.StringVar(key, "api-key", "",
		"LiveKit API key (project settings > API keys, or the keys: section of livekit-server's config) to mint a token here (env "+envAPIKey+")"+keyNote)
	fs.StringVar(secret, "api-secret", "",
		"LiveKit API secret belonging to --api-key; prefer the env var "+envAPISecret+", since a flag value is visible to other local users")
}

func addParticipantFlags(fs *pflag.FlagSet, p *participantOptions) {
	fs.StringVar(&p.room, "room", "",
		"room to create or join (default: a fresh random room per call, so no old agent is waiting in it)")
	fs.StringVar(&p.identity, "identity", "",
		"your participant identity (default: a random webcall-user-<id>)")
	fs.StringVar(&p.name, "name", "",
		"your display name in the room")
	fs.StringVar(&p.metadata, "participant-metadata", "",
		"your participant metadata (any string, often JSON), visible to the agent")
	fs.StringArrayVar(&p.attributes, "attribute", nil,
		"a participant attribute `key=value`, visible to the agent (repeatable)")
	fs.StringVar(&p.agentName, "agent-name", "",
		"dispatch the agent registered under this name into the room (explicit dispatch); agents deployed with an agent_name only join when asked like this")
	fs.StringVar(&p.agentMetadata, "agent-metadata", "",
		"metadata handed to the dispatched agent's job (any string, often JSON); needs --agent-name")
}

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

func (o *credentialOptions) endpointSource(env func(string) string, warn io.Writer) (token.Source, error) {
	header, err := parseHeaders(o.headers, warn)
	if err != nil {
		return nil, err
	}
	e := token.Endpoint{
		URL:       o.tokenEndpoint,
		Header:    header,
		ServerURL: firstTrimmed(o.url, env(envURL)),
		UserAgent: userAgent(),
	}
	if o.data != "" {
		if e.Body, err = readFileArg("--data", o.data); err != nil {
			return nil, err
		}
	} else if e.Request, err = o.participant.endpointRequest(); err != nil {
		return nil, err
	}
	if err := e.Check(); err != nil {
		return nil, err
	}
	return e, nil
}

func (o *credentialOptions) hmsSource(env func(string) string, warn io.Writer) (token.Source, error) {
	key, err := o.hmsKey(env, warn)
	if err != nil {
		return nil, err
	}
	h := token.HMS{
		APIBase:     o.apiBase,
		APIKey:      key,
		AssistantID: strings.TrimSpace(o.assistantID),
		UserAgent:   userAgent(),
	}
	if o.assistantOverride != "" {
		if h.AssistantOverride, err = readFileArg("--assistant-override", o.assistantOverride); err != nil {
			return nil, err
		}
	}
	if o.assistant != "" {
		if h.Assistant, err = readFileArg("--assistant", o.assistant); err != nil {
			return nil, err
		}
	}
	if h.Metadata, err = parseKeyValues("--metadata", o.metadata); err != nil {
		return nil, err
	}
	// Check what Fetch would refuse now, before any audio is loaded or
	// anything is sent: Fetch runs only when the call starts.
	if err := h.Check(); err != nil {
		return nil, err
	}
	return h, nil
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

// minted is a minting source for these options, without URL and keys.
func (p *participantOptions) minted() (token.Minted, error) {
	attrs, err := parseKeyValues("--attribute", p.attributes)
	if err != nil {
		return token.Minted{}, err
	}
	return token.Minted{
		Room:          p.room,
		Identity:      p.identity,
		Name:          p.name,
		Metadata:      p.metadata,
		Attributes:    attrs,
		AgentName:     p.agentName,
		AgentMetadata: p.agentMetadata,
	}, nil
}

func (p *participantOptions) endpointRequest() (token.EndpointRequest, error) {
	attrs, err := parseKeyValues("--attribute", p.attributes)
	if err != nil {
		return token.EndpointRequest{}, err
	}
	r := token.EndpointRequest{
		RoomName:              p.room,
		ParticipantIdentity:   p.identity,
		ParticipantName:       p.name,
		ParticipantMetadata:   p.metadata,
		ParticipantAttributes: attrs,
	}
	// Metadata without a name is passed on too, for Endpoint.Check to
	// refuse: the rule is the same as for a minted token's dispatch.
	if p.agentName != "" || p.agentMetadata != "" {
		r.RoomConfig = &token.EndpointRoomConfig{Agents: []token.EndpointAgent{{AgentName: p.agentName, Metadata: p.agentMetadata}}}
	}
	return r, nil
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

// warnPlain warns about a secret given as a flag value: the command
// line of a running process is readable by every local user (ps, /proc).
func warnPlain(warn io.Writer, flag, value, instead string) {
	if value == "" {
		return
	}
	fmt.Fprintf(warn, "warning: %s given on the command line is visible to other local users (ps); set %s instead\n", flag, instead)
}

// readSecretFile reads a secret from a file, trimmed, registers it for
// redaction, and warns when other users can read the file too.
func readSecretFile(flag, path string, warn io.Writer) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", failure.Wrap(failure.Input, withoutPath(err), fmt.Sprintf("cannot read the key file %q given to %s", path, flag))
	}
	key := strings.TrimSpace(string(b))
	redact.Add(key)
	if key == "" {
		return "", failure.Newf(failure.Input, "the key file %q given to %s is empty", path, flag).
			WithHint("put the API key on the file's first line")
	}
	if strings.ContainsAny(key, "\r\n") {
		return "", failure.Newf(failure.Input, "the key file %q given to %s has more than one line", path, flag).
			WithHint("the file must hold just the API key")
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "warning: the key file %s can be read by other users (mode %04o); run chmod 600 %s\n", path, fi.Mode().Perm(), path)
	}
	return key, nil
}

// withoutPath drops the *os.PathError wrapper, whose path the message
// already names.
func withoutPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// readFileArg reads a flag value given as TEXT or @FILE. What the text
// must be (JSON, for every such flag so far) is the domain's to check.
func readFileArg(flag, value string) ([]byte, error) {
	path, ok := strings.CutPrefix(value, "@")
	if !ok {
		return bytes.TrimSpace([]byte(value)), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, failure.Wrap(failure.Input, withoutPath(err), fmt.Sprintf("cannot read the file %q given to %s", path, flag))
	}
	return bytes.TrimSpace(b), nil
}

// parseKeyValues parses repeated key=value flags. Keys are kept exactly as
// written (HMS passes metadata keys through unchanged, casing included).
func parseKeyValues(flag string, values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(values))
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, failure.Newf(failure.Usage, "%s %q is not key=value", flag, kv).
				WithHint(fmt.Sprintf("write %s user_id=usr_8f3a2b1c; repeat the flag for more keys", flag))
		}
		if _, dup := m[k]; dup {
			return nil, failure.Newf(failure.Usage, "%s gives the key %q twice", flag, k)
		}
		m[k] = v
	}
	return m, nil
}

// parseHeaders parses -H values: 'Name: value', or @FILE with one header
// per line (blank lines and lines starting with # are skipped). Values of
// headers that carry credentials are registered for redaction, and given
// inline they draw a warning.
func parseHeaders(values []string, warn io.Writer) (http.Header, error) {
	h := http.Header{}
	add := func(line, from string, inline bool) error {
		name, value, ok := strings.Cut(line, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !validHeaderName(name) {
			// The line is not echoed: it may be a credential.
			return failure.Newf(failure.Usage, "%s is not a header of the form 'Name: value'", from).
				WithHint("e.g. -H 'Authorization: Bearer <token>', or -H @file with one header per line")
		}
		if sensitiveHeader(name) {
			redact.Add(value)
			if _, cred, ok := strings.Cut(value, " "); ok {
				redact.Add(cred)
			}
			if inline {
				fmt.Fprintf(warn, "warning: the %s header given with -H is visible to other local users (ps); put it in a file and pass -H @file\n", name)
			}
		}
		h.Add(name, value)
		return nil
	}
	for i, v := range values {
		path, isFile := strings.CutPrefix(v, "@")
		if !isFile {
			if err := add(v, fmt.Sprintf("-H value %d", i+1), true); err != nil {
				return nil, err
			}
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, failure.Wrap(failure.Input, withoutPath(err), fmt.Sprintf("cannot read the header file %q", path))
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := add(line, fmt.Sprintf("line %d of the header file %q", n, path), false); err != nil {
				f.Close()
				return nil, err
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, failure.Wrap(failure.Input, err, fmt.Sprintf("cannot read the header file %q", path))
		}
	}
	return h, nil
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// sensitiveHeader guesses whether a header carries a credential.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	for _, w := range []string{"auth", "token", "key", "secret", "session", "password", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func userAgent() string { return "webcall/" + version }

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
