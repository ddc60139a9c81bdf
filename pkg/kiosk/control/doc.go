// Package control is the kiosk's HTTP face: the control API (POST /call,
// POST /hangup), health (/healthz, /readyz), the JSON status (/status) and
// Prometheus metrics (/metrics), all on one listener that the caller opens.
//
// Nobody else gets in. The kiosk listens on loopback unless it is told
// otherwise, and anywhere else only with a bearer token (CheckListen says
// which addresses need one; Serve refuses a listener that breaks the rule).
// With a token, every route but /healthz needs "Authorization: Bearer
// <token>"; a request without it, or with another token, is answered 401
// before any route runs, so it starts and ends nothing and learns nothing
// (not even which paths exist). /healthz stays open because liveness probes
// (systemd, Kubernetes, a load balancer) seldom carry credentials and it
// tells nothing but "alive". The token is compared as a SHA-256 digest in
// constant time, so neither its content nor its length leaks through
// timing, and only its digest is kept. It never appears in a response, a
// log line or an error.
//
// The Controller's Status and Ready must not block (the kiosk keeps a
// snapshot for them). /healthz is the one route that checks that they do
// not: it asks Status on a goroutine of its own and answers 503 when no
// answer comes within Options.HealthTimeout, which is how a wedged kiosk
// loop shows up to a liveness probe.
//
// Goroutines, and who ends them:
//   - Serve runs the http.Server's accept loop on one goroutine and returns
//     after it ended. The server's connection goroutines are net/http's;
//     Serve shuts them down when its context ends: requests in flight get
//     Options.Grace to finish, then their contexts are cancelled and the
//     connections cut, and Serve waits (up to another Grace) for every
//     handler to return.
//   - A /healthz probe runs Status on one goroutine, at most one at a time;
//     Serve waits for it like for a handler. It ends when Status returns.
package control
