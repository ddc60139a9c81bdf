package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer is a Server serving on a loopback port for one test, and a
// client of its own whose connections the test closes.
type testServer struct {
	url    string
	client *http.Client
	logs   *syncBuffer
	stop   func() error // ends Serve and returns what it returned
	// stoppedByTest: the test called stop and judged its error.
	stoppedByTest bool
}

// serve starts a Server for o on 127.0.0.1 and stops it in t.Cleanup,
// failing the test if Serve does not return nil.
func serve(t *testing.T, o Options) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, o, &http.Transport{})
}

func serveOn(t *testing.T, ln net.Listener, o Options, tr *http.Transport) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			tr.CloseIdleConnections()
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(30 * time.Second):
				serveErr = errors.New("Serve did not return within 30 s of the end of its context")
			}
		})
		return serveErr
	}
	ts := &testServer{
		url:    "http://" + ln.Addr().String(),
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second},
		logs:   logs,
		stop:   stop,
	}
	t.Cleanup(func() {
		// A test that stopped the server itself has checked what Serve
		// returned.
		if err := stop(); err != nil && !ts.stoppedByTest {
			t.Errorf("Serve: %v", err)
		}
	})
	return ts
}

// answer is a response read whole.
type answer struct {
	code   int
	header http.Header
	body   string
}

// do sends method path with the given Authorization header (none when
// empty) and an optional body.
func (ts *testServer) do(t *testing.T, method, path, auth string, body []byte) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	return answer{code: resp.StatusCode, header: resp.Header, body: string(b)}
}

// errorBody decodes an error answer, failing the test unless it is the
// API's JSON error with a message.
func (a answer) errorBody(t *testing.T) ErrorBody {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error answer %d has Content-Type %q, want application/json: %s", a.code, ct, a.body)
	}
	var e ErrorBody
	dec := json.NewDecoder(strings.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error == "" {
		t.Fatalf("error answer %d is not {error, hint}: %q (%v)", a.code, a.body, err)
	}
	return e
}

// syncBuffer is a log destination that the server's goroutines write to
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// post sends POST path from any goroutine (do may only be called from the
// test's): the status code, or 0 when there was no answer.
func (ts *testServer) post(path string) int {
	resp, err := ts.client.Post(ts.url+path, "", nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
