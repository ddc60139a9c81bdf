package token

import "errors"

// Conditions a Source's errors name (failure.Error.Cond), for
// errors.Is(err, token.ErrNoURL). The errors themselves say what is wrong
// in this package's terms (a server URL, an API key, an assistant id); a
// program built on this package matches the condition to say where its
// user gives that value.
var (
	// ErrNoURL: no LiveKit server URL was given.
	ErrNoURL = errors.New("no LiveKit server URL")
	// ErrBadURL: the server URL is not a ws://, wss://, http:// or
	// https:// URL with a host.
	ErrBadURL = errors.New("unusable LiveKit server URL")

	// ErrNoToken: a literal token source has no token.
	ErrNoToken = errors.New("no access token")
	// ErrNotJWT: a literal token is not a LiveKit access token (a JWT).
	ErrNotJWT = errors.New("not a LiveKit access token")
	// ErrTokenExpired: the token's exp claim has passed.
	ErrTokenExpired = errors.New("access token expired")
	// ErrCannotRenew: a call lost its connection, and the token to join
	// again had expired or was refused while its Source cannot renew it
	// (a literal token: RenewNone).
	ErrCannotRenew = errors.New("access token cannot be renewed")

	// ErrNoAPIKey: minting needs an API key and none was given.
	ErrNoAPIKey = errors.New("no API key to mint with")
	// ErrNoAPISecret: minting needs the API key's secret and none was
	// given.
	ErrNoAPISecret = errors.New("no API secret to mint with")
	// ErrBadTTL: the token's lifetime is not positive.
	ErrBadTTL = errors.New("token lifetime not positive")
	// ErrAgentMetadataWithoutName: metadata for a dispatched agent was
	// given without the agent's name, so no agent would receive it.
	ErrAgentMetadataWithoutName = errors.New("agent metadata without an agent name")

	// ErrBadEndpointURL: the token endpoint's address is not an http:// or
	// https:// URL with a host.
	ErrBadEndpointURL = errors.New("token endpoint address not an http(s) URL")
	// ErrBadRequestBody: a token endpoint request body given as is
	// (Endpoint.Body) is not JSON.
	ErrBadRequestBody = errors.New("token request body not JSON")
	// ErrEndpointAuth: the token endpoint refused the request's
	// credentials (401, 403).
	ErrEndpointAuth = errors.New("token endpoint refused the credentials")
	// ErrEndpointRefused: the token endpoint refused the request for
	// another reason (a 4xx other than 401, 403, 404, 405, 429).
	ErrEndpointRefused = errors.New("token endpoint refused the request")
	// ErrNotTokenEndpoint: the address does not serve a token endpoint
	// (404, 405, or an answer that is not JSON).
	ErrNotTokenEndpoint = errors.New("no token endpoint at the address")
	// ErrEndpointNotJWT: the token endpoint handed out something that is
	// not a LiveKit access token, such as its own session value.
	ErrEndpointNotJWT = errors.New("token endpoint handed out no LiveKit access token")
	// ErrEndpointNoServerURL: neither the token endpoint's answer nor the
	// source (Endpoint.ServerURL) names the LiveKit server.
	ErrEndpointNoServerURL = errors.New("no LiveKit server URL from the token endpoint")
	// ErrResponseTooLarge: a token endpoint or provider API answered with
	// more than MaxResponseBytes.
	ErrResponseTooLarge = errors.New("token answer larger than the limit")

	// ErrNoHMSKey: an HMS source has no organization API key.
	ErrNoHMSKey = errors.New("no HMS API key")
	// ErrBadAPIBase: the HMS API base is not an https:// URL (plain
	// http:// is allowed to this machine only).
	ErrBadAPIBase = errors.New("unusable HMS API base")
	// ErrNoAssistant: an HMS call names neither a saved assistant nor an
	// inline one.
	ErrNoAssistant = errors.New("no assistant for the HMS call")
	// ErrOverrideWithoutID: an assistant override was given without the
	// saved assistant it applies to.
	ErrOverrideWithoutID = errors.New("assistant override without an assistant id")
	// ErrOverrideAndAssistant: an assistant override and an inline
	// assistant were both given; HMS takes one or the other.
	ErrOverrideAndAssistant = errors.New("assistant override and inline assistant both given")
	// ErrIncompleteAssistant: an inline assistant lacks one of the
	// configurations HMS requires (stt_config, llm_config, tts_config).
	ErrIncompleteAssistant = errors.New("inline assistant incomplete")
	// ErrAssistantIDNotUUID: the assistant id is not a UUID.
	ErrAssistantIDNotUUID = errors.New("assistant id not a UUID")
	// ErrBadOverride: the assistant override is not a JSON object.
	ErrBadOverride = errors.New("assistant override not a JSON object")
	// ErrBadAssistant: the inline assistant is not a JSON object.
	ErrBadAssistant = errors.New("inline assistant not a JSON object")
	// ErrBadMetadata: the call's metadata cannot be merged, because the
	// assistant configuration's own metadata is not a JSON object.
	ErrBadMetadata = errors.New("assistant metadata not a JSON object")
	// ErrHMSKeyRefused: HMS did not accept the API key (401).
	ErrHMSKeyRefused = errors.New("HMS refused the API key")
	// ErrHMSRefused: HMS refused the web-call request as given (400, or a
	// 4xx it does not document).
	ErrHMSRefused = errors.New("HMS refused the web-call request")
	// ErrAssistantNotFound: the assistant does not exist or belongs to
	// another organization (403).
	ErrAssistantNotFound = errors.New("assistant not found")
	// ErrNotHMSAPI: the API base does not serve the HMS web-call API (404,
	// 405, or an answer that is not JSON).
	ErrNotHMSAPI = errors.New("no HMS web-call API at the address")
)

// ErrServerCertificate: a token endpoint's or provider API's TLS
// certificate was refused (an unknown authority, another host's, or
// expired). Its roots are SetRootCAs's.
var ErrServerCertificate = errors.New("the server's TLS certificate was refused")
