package lkserver_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/golden"
	"github.com/webcall-cli/webcall/internal/leaktest"
	"github.com/webcall-cli/webcall/internal/lkserver"
)

func TestConfigYAML(t *testing.T) {
	cfg := lkserver.Config{Port: 7880, TCPPort: 7881, UDPPort: 7882}
	golden.Assert(t, filepath.Join("testdata", "livekit.golden.yaml"), cfg.YAML())
}

func TestMissingBinary(t *testing.T) {
	t.Setenv(lkserver.BinaryEnv, filepath.Join(t.TempDir(), "no-such-server"))
	_, err := lkserver.StartProcess(context.Background(), lkserver.Config{})
	if !errors.Is(err, lkserver.ErrNoBinary) {
		t.Fatalf("StartProcess error = %v, want ErrNoBinary", err)
	}
	if !strings.Contains(err.Error(), lkserver.BinaryEnv) {
		t.Errorf("error %q does not say how the path was chosen", err)
	}
}

func TestFindBinary(t *testing.T) {
	t.Setenv(lkserver.BinaryEnv, "")
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "internal", "pkg")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	if _, err := lkserver.FindBinary(); !errors.Is(err, lkserver.ErrNoBinary) || !strings.Contains(err.Error(), "make livekit-server") {
		t.Errorf("no binary: error %v, want ErrNoBinary saying to run make livekit-server", err)
	}
	for _, name := range []string{"server", "livekit-server"} {
		p := filepath.Join(root, ".tools", "bin", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		got, err := lkserver.FindBinary()
		if err != nil || got != p {
			t.Errorf("with %s: FindBinary = %q, %v; want %q", name, got, err, p)
		}
	}
}

func TestPortTaken(t *testing.T) {
	skipShort(t)
	defer leaktest.Check(t)()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	// A fixed port is never swapped for another one: the start fails and
	// says why.
	_, err = lkserver.StartProcess(context.Background(), lkserver.Config{Port: port, TCPPort: freeTCP(t), UDPPort: freeUDP(t)})
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("StartProcess on a taken port: error = %v, want one about the port in use", err)
	}
}

func TestClientJoins(t *testing.T) {
	skipShort(t)
	// Registered first, so it runs last: once the server has stopped,
	// nothing of the helper, the SDK's room or the Twirp client remains.
	t.Cleanup(leaktest.Check(t))
	s := lkserver.Start(t)
	if !strings.HasPrefix(s.URL, "ws://127.0.0.1:") {
		t.Fatalf("URL = %q, want a loopback ws URL", s.URL)
	}

	at := auth.NewAccessToken(s.APIKey, s.APISecret).
		SetIdentity("alice").
		SetValidFor(time.Minute).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: "lkserver-test"})
	tok, err := at.ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	room, err := lksdk.ConnectToRoomWithToken(s.URL, tok, lksdk.NewRoomCallback(), lksdk.WithAutoSubscribe(false))
	if err != nil {
		t.Fatalf("join the local server: %v", err)
	}
	defer room.Disconnect()
	if got := room.LocalParticipant.Identity(); got != "alice" {
		t.Errorf("identity = %q, want alice", got)
	}
	if room.ConnectionState() != lksdk.ConnectionStateConnected {
		t.Errorf("connection state = %v, want connected", room.ConnectionState())
	}

	// The Twirp API answers on the same port with the same keys.
	rooms, err := lksdk.NewRoomServiceClient(s.HTTPURL, s.APIKey, s.APISecret).
		ListRooms(context.Background(), &livekit.ListRoomsRequest{})
	if err != nil {
		t.Fatalf("list rooms: %v", err)
	}
	if len(rooms.Rooms) != 1 || rooms.Rooms[0].Name != "lkserver-test" {
		t.Errorf("rooms = %v, want the one joined", rooms.Rooms)
	}
}

func TestStopEndsProcess(t *testing.T) {
	skipShort(t)
	defer leaktest.Check(t)()
	s, err := lkserver.StartProcess(context.Background(), lkserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Exited():
	default:
		t.Fatal("Stop returned but the process is still running")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(s.LogPath()); err != nil {
		t.Errorf("Stop removed the server's log: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.LogPath()); !os.IsNotExist(err) {
		t.Errorf("log %s still there after Close (err %v)", s.LogPath(), err)
	}
}

func freeTCP(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func freeUDP(t *testing.T) int {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the LiveKit server")
	}
}
