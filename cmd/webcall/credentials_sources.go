package main

import (
	"io"
	"strings"

	"github.com/webcall-cli/webcall/pkg/token"
)

// endpointSource is the user's token endpoint, with the request the flags
// describe (or --data as is), checked before anything is sent.
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

// hmsSource is an HMS Sovereign web call as the flags configure it.
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

// endpointRequest is the token endpoint's request for these options.
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

func userAgent() string { return "webcall/" + version }
