package main

import (
	"github.com/spf13/pflag"

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
// come from. Flags win over the environment; source (credentials.go)
// decides which kind of token.Source the combination asks for:
//
//	--provider hms         the HMS Sovereign API creates the call
//	--token-endpoint URL   the user's backend hands out a token
//	--token                a ready token
//	--api-key/--api-secret a token minted here
//
// credentials_sources.go fills each kind's token.Source from the options,
// credentials_values.go parses the values of flags with a syntax of their
// own, and credentials_secrets.go keeps secrets out of every output. What
// the source's values must be is pkg/token's to check, once.
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
