package lkserver_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/internal/lkserver"
)

// A killed server stops answering at once, Start's cleanup does not count
// that as a failure, and Restart brings it back on the same address.
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local LiveKit server")
	}
	s := lkserver.Start(t)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	answers := func() bool {
		resp, err := client.Get(s.HTTPURL + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	if !answers() {
		t.Fatal("the server does not answer before the kill")
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Exited():
	default:
		t.Fatal("Kill returned while the server still runs")
	}
	if answers() {
		t.Fatal("the server still answers after Kill")
	}
	if !s.Killed() {
		t.Error("Killed() is false after Kill")
	}
	url := s.URL
	ctx, cancel := context.WithTimeout(context.Background(), lkserver.ReadyTimeout)
	defer cancel()
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if s.URL != url || !answers() {
		t.Fatalf("after Restart the server does not answer at %s", url)
	}
	if s.Killed() {
		t.Error("Killed() is still true after Restart")
	}
}

// A server killed at the end of a test is not reported as one that
// exited by itself: the dying-server tests end that way.
func TestKilledServerIsNotAFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local LiveKit server")
	}
	s := lkserver.Start(t)
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
}
