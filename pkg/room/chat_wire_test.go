package room_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
	"github.com/webcall-cli/webcall/pkg/room"
)

func joinToken(t *testing.T, srv *lkserver.Server, roomName, identity string, kind livekit.ParticipantInfo_Kind) string {
	t.Helper()
	tok, err := auth.NewAccessToken(srv.APIKey, srv.APISecret).
		SetIdentity(identity).SetKind(kind).SetValidFor(5 * time.Minute).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: roomName}).ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Over a real server: chat messages sent one after another arrive whole
// and in order, however long each is; a chat message from an agent comes
// back as a ChatReceived event credited to it.
func TestChatOverTheWire(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local LiveKit server")
	}
	lksdk.SetLogger(protologger.GetDiscardLogger())
	srv := lkserver.Start(t)
	defer leaktest.Check(t)()

	// The other side: an agent-kind participant that records what it
	// reads on lk.chat, in the order the messages complete.
	var mu sync.Mutex
	var got []string
	arrived := make(chan struct{}, 16)
	peer := lksdk.NewRoom(lksdk.NewRoomCallback())
	if err := peer.RegisterTextStreamHandler(room.TopicChat, func(r *lksdk.TextStreamReader, _ string) {
		text := r.ReadAll()
		mu.Lock()
		got = append(got, text)
		mu.Unlock()
		arrived <- struct{}{}
	}); err != nil {
		t.Fatal(err)
	}
	if err := peer.JoinWithToken(srv.URL, joinToken(t, srv, "chat-wire", "agent-1", livekit.ParticipantInfo_AGENT)); err != nil {
		t.Fatal(err)
	}
	defer peer.Disconnect()

	rm, err := room.Join(context.Background(), room.Config{URL: srv.URL, Token: joinToken(t, srv, "chat-wire", "user-1", livekit.ParticipantInfo_STANDARD), TextOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()

	long := strings.Repeat("a long message, ", 2000) // several chunks
	want := []string{long, "short", "shorter", "é"}
	for _, m := range want {
		if err := rm.SendChat(m); err != nil {
			t.Fatal(err)
		}
	}
	for range want {
		select {
		case <-arrived:
		case <-time.After(20 * time.Second):
			t.Fatalf("only %d of %d messages arrived", len(got), len(want))
		}
	}
	mu.Lock()
	if !slices.Equal(got, want) {
		t.Errorf("messages arrived as %d: %.40q, want in the order sent", len(got), got)
	}
	mu.Unlock()

	peer.LocalParticipant.SendText("Half past eight.", lksdk.StreamTextOptions{Topic: room.TopicChat})
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-rm.Events():
			if c, ok := ev.(room.ChatReceived); ok {
				if c.Identity != "agent-1" || !c.Agent || c.Text != "Half past eight." {
					t.Errorf("received %+v", c)
				}
				return
			}
		case <-deadline:
			t.Fatal("no ChatReceived event")
		}
	}
}
