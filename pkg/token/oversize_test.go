package token

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// TestOversizedAnswerRefused: an endpoint (or the HMS API) that answers
// with 100 MB, declared or streamed, is refused after at most
// MaxResponseBytes are read, with a message that says so, and without
// webcall holding 100 MB.
func TestOversizedAnswerRefused(t *testing.T) {
	const total = 100 << 20
	for _, declared := range []bool{true, false} {
		t.Run("declared="+strconv.FormatBool(declared), func(t *testing.T) {
			noLeaks(t)
			var sent int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if declared {
					w.Header().Set("Content-Length", strconv.Itoa(total))
				}
				w.WriteHeader(http.StatusOK)
				chunk := []byte(`{"participant_token":"` + strings.Repeat("x", 64<<10))
				for sent < total {
					n, err := w.Write(chunk)
					sent += int64(n)
					if err != nil {
						return // webcall hung up, as it should
					}
				}
			}))
			t.Cleanup(srv.Close)

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := Endpoint{URL: srv.URL + "/api/token"}.Fetch(ctx)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)

			if !errors.Is(err, ErrResponseTooLarge) || failure.KindOf(err) != failure.Connect {
				t.Fatalf("got %v (kind %v), want ErrResponseTooLarge of kind connect", err, failure.KindOf(err))
			}
			if msg := err.Error(); !strings.Contains(msg, "the token endpoint at "+srv.URL+"/api/token is larger than 1 MiB") {
				t.Errorf("message %q does not name the endpoint and the limit", msg)
			}
			if failure.HintOf(err) == "" {
				t.Error("no hint")
			}
			// The server's own buffers count too; 100 MB read whole
			// would be far above this.
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("refused in %v, %d KiB allocated", elapsed.Round(time.Millisecond), alloc>>10)
			if alloc > 16<<20 {
				t.Errorf("allocated %d MiB to refuse the answer", alloc>>20)
			}
		})
	}
}

// TestAnswerAtTheLimitIsRead: the limit refuses what is over it, not an
// answer of exactly MaxResponseBytes (padded JSON).
func TestAnswerAtTheLimitIsRead(t *testing.T) {
	noLeaks(t)
	tok := fakeJWT(t, map[string]any{"sub": "caller"})
	body := `{"server_url":"wss://lk.example","participant_token":"` + tok + `"}`
	body += strings.Repeat(" ", MaxResponseBytes-len(body))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := Endpoint{URL: srv.URL}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != tok {
		t.Errorf("token %q, want the answer's", c.Token)
	}
}
