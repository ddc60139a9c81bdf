package token

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// Every source says how it renews, and a source that wraps another without
// saying is taken to let the issuer decide.
func TestRenewalOfEachSource(t *testing.T) {
	for _, c := range []struct {
		src  Source
		want Renewal
	}{
		{Static{}, RenewNone},
		{Minted{}, RenewSameRoom},
		{Endpoint{}, RenewEndpoint},
		{HMS{}, RenewNewCall},
		{struct{ Source }{Minted{}}, RenewEndpoint},
	} {
		if got := RenewalOf(c.src); got != c.want {
			t.Errorf("%T: %s, want %s", c.src, got, c.want)
		}
	}
}

// A minted source that picks a random room and identity per call keeps
// the call's at a rejoin, with the same dispatch; one given its own keeps
// those.
func TestMintedRejoinKeepsTheRoom(t *testing.T) {
	m := Minted{URL: "ws://127.0.0.1:7880", APIKey: testKey, APISecret: testSecret, AgentName: "support"}
	first, err := m.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	again, err := FetchRejoin(context.Background(), m, first)
	if err != nil {
		t.Fatal(err)
	}
	if again.Room != first.Room || again.Identity != first.Identity {
		t.Errorf("rejoin for %s as %s, want %s as %s", again.Room, again.Identity, first.Room, first.Identity)
	}
	c, err := ParseClaims(again.Token)
	if err != nil {
		t.Fatal(err)
	}
	if c.Room != first.Room {
		t.Errorf("the fresh token grants room %q, want %q", c.Room, first.Room)
	}
	own := Minted{URL: m.URL, APIKey: testKey, APISecret: testSecret, Room: "mine", Identity: "me"}
	if got, err := own.FetchRejoin(context.Background(), Credentials{Room: "other", Identity: "else"}); err != nil || got.Room != "mine" || got.Identity != "me" {
		t.Errorf("a source with its own room rejoined %s as %s (%v)", got.Room, got.Identity, err)
	}
}

// A ready token is the same at every rejoin while it is valid; once it has
// expired, the refusal says it cannot be renewed, as an auth failure.
func TestStaticRejoin(t *testing.T) {
	tok, _, err := Minted{APIKey: testKey, APISecret: testSecret, Room: "r", TTL: time.Minute}.Mint()
	if err != nil {
		t.Fatal(err)
	}
	s := Static{URL: "ws://127.0.0.1:7880", Token: tok}
	c, err := s.FetchRejoin(context.Background(), Credentials{})
	if err != nil || c.Token != tok {
		t.Fatalf("rejoin with a valid ready token: %v", err)
	}
	s.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	_, err = s.FetchRejoin(context.Background(), Credentials{})
	if !errors.Is(err, ErrCannotRenew) || !errors.Is(err, ErrTokenExpired) || failure.KindOf(err) != failure.Auth {
		t.Fatalf("rejoin with an expired ready token: %v, want an auth failure that it cannot be renewed", err)
	}
	assertDomainWords(t, err)
}

// A token endpoint is asked again for the call's room and identity, when
// the request names none; a body given as is goes unchanged.
func TestEndpointRejoinAsksForTheRoom(t *testing.T) {
	srv, url := newTokenServer(t, func(tok string) any {
		return map[string]string{"server_url": "ws://127.0.0.1:7880", "participant_token": tok}
	})
	e := Endpoint{URL: url}
	prev := Credentials{Room: "call-7", Identity: "caller-7"}
	c, err := FetchRejoin(context.Background(), e, prev)
	if err != nil {
		t.Fatal(err)
	}
	var req EndpointRequest
	if err := json.Unmarshal(srv.got, &req); err != nil {
		t.Fatal(err)
	}
	if req.RoomName != "call-7" || req.ParticipantIdentity != "caller-7" || c.Room != "call-7" {
		t.Errorf("the endpoint was asked for %+v and gave room %s, want room call-7 for caller-7", req, c.Room)
	}
	e.Body = []byte(`{"room_name":"theirs"}`)
	if _, err := e.FetchRejoin(context.Background(), prev); err != nil {
		t.Fatal(err)
	}
	if string(srv.got) != `{"room_name":"theirs"}` {
		t.Errorf("a body given as is was sent as %s", srv.got)
	}
}

// An HMS rejoin creates another call: a new call id.
func TestHMSRejoinCreatesANewCall(t *testing.T) {
	noLeaks(t)
	fake := newFakeHMS(t)
	h := hmsSource(fake.URL)
	h.AssistantID = hmsAssistant
	first, err := h.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	again, err := FetchRejoin(context.Background(), h, first)
	if err != nil {
		t.Fatal(err)
	}
	if again.CallID == "" || again.CallID == first.CallID || len(fake.Requests()) != 2 {
		t.Errorf("rejoin call %q after %q (%d requests), want a new call", again.CallID, first.CallID, len(fake.Requests()))
	}
}
