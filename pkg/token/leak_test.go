package token

import (
	"net/http"
	"testing"

	"github.com/webcall-cli/webcall/internal/leaktest"
)

// noLeaks checks, when t ends, that t left no goroutine behind, after its
// servers have closed. The sources' HTTP client keeps idle connections in
// http.DefaultTransport for the next request, as a program wants; their
// read and write loops are closed first, since they are the transport's,
// not the test's.
func noLeaks(t *testing.T) {
	t.Helper()
	check := leaktest.Check(t)
	t.Cleanup(func() {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		check()
	})
}
