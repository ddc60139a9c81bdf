package main

import (
	"errors"

	"github.com/webcall-cli/webcall/pkg/audio/device"
	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/kiosk/control"
	"github.com/webcall-cli/webcall/pkg/room"
	"github.com/webcall-cli/webcall/pkg/token"
)

// cliHints is what to type, for each condition a domain package names
// (failure.Error.Cond). The packages say what is wrong in their own terms
// ("no LiveKit server URL"); only the command knows that the URL comes
// from --url or LIVEKIT_URL, so the advice that names flags and
// environment variables lives here, in one table, as gh's internal/ghcmd
// adds CLI advice on top of its inner packages' errors.
//
// Every hint names at least one flag of webcall's commands
// (TestCLIHintsNameRealFlags), and every condition the packages declare
// has an entry (TestEveryConditionHasACLIHint).
var cliHints = map[error]string{
	// pkg/token: the server and a ready token.
	token.ErrNoURL:        "pass --url wss://<project>.livekit.cloud (or set " + envURL + "); for a local server use ws://127.0.0.1:7880",
	token.ErrBadURL:       "write --url (or " + envURL + ") as wss://host, or ws://host:7880 for a server without TLS",
	token.ErrNoToken:      "pass --token (or set " + envToken + "), or let webcall mint one with --api-key and --api-secret",
	token.ErrNotJWT:       "pass the token exactly as your server issued it (a JWT: three base64 parts separated by dots), in " + envToken + " or --token",
	token.ErrCannotRenew:  "a --token is the same token at every rejoin and is refused once it expires: mint fresh ones with --api-key and --api-secret, or ask --token-endpoint",
	token.ErrTokenExpired: "tokens are short-lived: ask your token server for a new one, or let webcall mint one with --api-key and --api-secret",

	// pkg/token: minting.
	token.ErrNoAPIKey:                 "give the key with --api-key (or " + envAPIKey + ") and its secret with " + envAPISecret + " (or --api-secret)",
	token.ErrNoAPISecret:              "set " + envAPISecret + " (or pass --api-secret) to the secret of the API key",
	token.ErrBadTTL:                   "pass a positive --ttl, e.g. --ttl 30m",
	token.ErrAgentMetadataWithoutName: "pass --agent-name with the name the agent worker registered under, or drop --agent-metadata",

	// pkg/token: the user's token endpoint.
	token.ErrBadEndpointURL:      "e.g. --token-endpoint https://your-backend.example.com/api/token",
	token.ErrBadRequestBody:      `write --data as JSON such as '{"room_name": "support-1"}', quoted for the shell, or give @FILE`,
	token.ErrEndpointAuth:        "the endpoint refused the request: check the credentials you pass with -H/--header",
	token.ErrEndpointRefused:     "check the request webcall sent (--room, --identity, --data, -H) against what the endpoint expects",
	token.ErrNotTokenEndpoint:    `check the --token-endpoint URL: it must accept a POST and answer {"server_url": ..., "participant_token": ...}`,
	token.ErrEndpointNotJWT:      "the endpoint must hand out a LiveKit access token; if it returns its own session value, point --token-endpoint (with --data and -H) at the endpoint that issues the LiveKit token",
	token.ErrEndpointNoServerURL: "give the LiveKit server with --url (or " + envURL + "), or make the endpoint return server_url",
	token.ErrResponseTooLarge:    "check --token-endpoint (or --api-base): it must be the route that answers with a token, not a page or a download",

	// pkg/token: HMS Sovereign web calls.
	token.ErrNoHMSKey:             "set " + envHMSKey + ", or pass --api-key-file with a file that holds the key (dashboard: Settings > API Keys)",
	token.ErrBadAPIBase:           "pass an https:// --api-base (plain http only to this machine), or leave it out to use " + token.HMSDefaultAPIBase,
	token.ErrNoAssistant:          "pass --assistant-id with a saved assistant's id, or --assistant with a full inline configuration",
	token.ErrOverrideWithoutID:    "pass --assistant-id with the saved assistant the override applies to, or use --assistant for a full inline configuration",
	token.ErrOverrideAndAssistant: "use either --assistant-id with --assistant-override (hybrid mode) or --assistant (transient mode)",
	token.ErrIncompleteAssistant:  "add the missing configurations to the --assistant JSON, or call a saved assistant with --assistant-id",
	token.ErrAssistantIDNotUUID:   "pass --assistant-id the assistant's id from the HMS Sovereign dashboard; it looks like 17a0cb75-fa09-4bdd-9a44-92a70d829c88",
	token.ErrBadOverride:          `give --assistant-override a JSON object such as '{"first_message": "Hello!"}', quoted for the shell, or @FILE`,
	token.ErrBadAssistant:         "give --assistant a JSON object with stt_config, llm_config and tts_config, quoted for the shell, or @FILE",
	token.ErrBadMetadata:          `write "metadata" in the --assistant-override or --assistant JSON as an object, {"key": "value"}, or drop --metadata`,
	token.ErrHMSKeyRefused:        "check " + envHMSKey + " or the file given to --api-key-file; organization keys are under Settings > API Keys in the HMS Sovereign dashboard",
	token.ErrHMSRefused:           "check --assistant-id, --assistant-override and --assistant against the modes in the HMS web-call docs",
	token.ErrAssistantNotFound:    "check --assistant-id in the dashboard, and that the API key belongs to the organization that owns the assistant",
	token.ErrNotHMSAPI:            "check --api-base; the documented one is " + token.HMSDefaultAPIBase,

	// pkg/room.
	room.ErrConnectTimeout: "check --url and your network, or raise --connect-timeout",
	// pkg/room and pkg/token: TLS (tlsflags.go).
	room.ErrUntrustedCertificate: "if the server uses a private CA, pass its certificate with --ca-file ca.pem; otherwise check that nothing intercepts the connection",
	room.ErrCertificateHost:      "connect with a host name the certificate names in --url, or fix the server's certificate",
	room.ErrCertificateInvalid:   "renew the server's certificate, or check this machine's clock (--ca-file cannot make an expired certificate valid)",
	room.ErrNotTLS:               "use ws:// in --url for a server without TLS, or the port where TLS is served",
	room.ErrCAFile:               "give --ca-file a PEM file of the CA certificates (-----BEGIN CERTIFICATE-----) that signed the server's certificate",
	token.ErrServerCertificate:   "if it uses a private CA, pass its certificate with --ca-file ca.pem; check the host name in the address",
	room.ErrNoAnswer:             "something listens at --url that does not answer as a LiveKit server: check its host and port, and that the server is not stuck",

	// pkg/call.
	call.ErrNoCredentials: "give the server with --url (or " + envURL + ") and either a token (" + envToken + ") or an API key and secret to mint one (" +
		envAPIKey + ", " + envAPISecret + "); or use --token-endpoint, or --provider hms",
	call.ErrConnectionLost: "the server went away or the network failed; --reconnect joins again with fresh credentials instead of ending the call (on by default with the microphone), and --recover-timeout sets how long a broken connection may take to recover",
	call.ErrRejoinFailed:   "the server stayed out of reach: check that it runs and your network; --reconnect-attempts and --reconnect-within allow more tries",
	call.ErrNoAgent:        "check that the agent is running and dispatched to this room (when minting with --api-key, name it with --agent-name), or wait longer with --wait-agent",

	// pkg/audio/device.
	device.ErrNoDevice:    "check `webcall devices`; use --input FILE (and --output FILE) to call without audio devices",
	device.ErrNoDefault:   "pick one with --input-device or --output-device, by INDEX or part of its NAME (see `webcall devices`)",
	device.ErrNotFound:    "run `webcall devices` to see the devices and pick one with --input-device or --output-device, or use --input FILE to call without a microphone",
	device.ErrAmbiguous:   "give --input-device or --output-device the device's index, or more of its name (see `webcall devices`)",
	device.ErrBusy:        "close the program using it, or pick another device with --input-device or --output-device (see `webcall devices`)",
	device.ErrUnusable:    "run `webcall devices` to see the devices, or use --input FILE to call without a microphone",
	device.ErrAudioSystem: "check that the sound server (PulseAudio, PipeWire) runs, or use --input FILE (and --output FILE) to call without audio devices",
	device.ErrLost:        "check that the device is still connected (`webcall devices`), or use --input FILE to call without a microphone",
	device.ErrUnsupported: "use --input FILE (and --output FILE), or rebuild webcall without -tags noportaudio",

	// pkg/kiosk/control: where webcall kiosk serves its API.
	control.ErrBadAddress:         "write --listen as host:port, e.g. --listen 127.0.0.1:8089, or --listen off for no API",
	control.ErrUnprotectedAddress: "keep --listen on 127.0.0.1 (the default " + defaultListen + "), or give --api-token-file so that only those with the token can start a call",
	control.ErrTokenFile:          "name a file the kiosk can read in --api-token-file",
	control.ErrTokenFileOpen:      "chmod 600 the --api-token-file: only the kiosk's user may read it",
	control.ErrTokenEmpty:         "put the token alone on the first line of the --api-token-file, e.g. from: openssl rand -hex 32",
	control.ErrTokenShort:         "use a longer token in --api-token-file, e.g. from: openssl rand -hex 32",
	control.ErrTokenMalformed:     "the --api-token-file must hold the token alone, on one line of printable characters",
	control.ErrNoController:       "this is a bug in webcall kiosk: please report it with the command line (--listen)",
}

// hintFor is the hint to print for err: failure.HintOf's walk of the chain
// from the outside in, except that at each *failure.Error the command's
// advice for the condition it names wins over the hint it carries. So an
// outer error's own hint (the endpoint's server_url is unusable) still
// wins over advice for an inner condition (a bad --url), and an error
// without a condition in the table gets exactly failure.HintOf's answer.
func hintFor(err error) string {
	for err != nil {
		var fe *failure.Error
		if !errors.As(err, &fe) {
			return ""
		}
		if hint, ok := cliHints[fe.Cond]; ok {
			return hint
		}
		if fe.Hint != "" {
			return fe.Hint
		}
		err = fe.Err
	}
	return ""
}
