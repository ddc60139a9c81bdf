package main

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

// webcallBin is the webcall binary built once for the tests that run it as
// a user would: a separate process, real signals, real exit codes.
var webcallBin string

var keepBin = flag.Bool("keep-bin", false, "leave the test binary's directory behind")

func TestMain(m *testing.M) {
	flag.Parse()
	// The in-process test agent uses the SDK, whose default logger prints
	// every pion step; the webcall processes under test have their own.
	lksdk.SetLogger(protologger.GetDiscardLogger())
	dir, err := os.MkdirTemp("", "webcall-test-bin-")
	if err != nil {
		panic(err)
	}
	webcallBin = filepath.Join(dir, "webcall")
	// The binary is built with -race so that races in a whole call fail
	// the tests that drive it.
	build := exec.Command("go", "build", "-race", "-o", webcallBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic("build webcall for the tests: " + err.Error())
	}
	code := m.Run()
	if !*keepBin {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// result is what one run of webcall left behind.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// runMain runs webcall in-process through Main, with env as its whole
// environment. Main must leave no goroutine behind: a process's exit would
// hide one, an embedding program's tests would not.
func runMain(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	check := leaktest.Check(t)
	var out, errOut bytes.Buffer
	start := time.Now()
	code := Main(args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	r := result{stdout: out.String(), stderr: errOut.String(), code: code, elapsed: time.Since(start)}
	// The token sources' keep-alive connections are net/http's pool,
	// kept for the next request rather than leaked; closed, they (and
	// the test servers' ends of them) go before the check.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	check()
	return r
}

// runBin runs the webcall binary with env added to a minimal environment.
func runBin(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, webcallBin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return runCmd(t, cmd)
}

// runCmd runs a prepared webcall command (runBin's, or one in a network
// namespace) and returns what it printed, its exit code and how long it
// took.
func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run webcall: %v", err)
		}
		code = ee.ExitCode()
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code, elapsed: time.Since(start)}
}

// repoFile returns the path of a file in the repository's testdata.
func repoFile(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...)
}

// noStackTrace fails if output looks like a Go panic or stack trace.
func noStackTrace(t *testing.T, r result) {
	t.Helper()
	for _, s := range []string{"goroutine ", "panic:", ".go:", "runtime/"} {
		if strings.Contains(r.stderr, s) || strings.Contains(r.stdout, s) {
			t.Errorf("output looks like a stack trace (%q):\nstdout: %s\nstderr: %s", s, r.stdout, r.stderr)
		}
	}
}

// execCommand is exec.CommandContext with the minimal environment runBin
// uses.
func execCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	return cmd
}

func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("run webcall: %v", err)
	}
	return ee.ExitCode()
}
