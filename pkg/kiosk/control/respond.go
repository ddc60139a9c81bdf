package control

import (
	"encoding/json"
	"net/http"

	"github.com/webcall-cli/webcall/pkg/redact"
)

// ErrorBody is the JSON of every answer that is not a success: what went
// wrong, and what to do about it.
type ErrorBody struct {
	Error string `json:"error"`
	Hint  string `json:"hint,omitempty"`
}

// writeJSON answers v as JSON. The body goes through the redaction of
// every output: the kiosk's types hold no credential, and should one slip
// into an error's text it is masked here rather than served.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain data is marshalled; this is a bug, said plainly.
		code = http.StatusInternalServerError
		b = []byte(`{"error":"the answer could not be encoded"}`)
	}
	body := redact.String(string(b)) + "\n"
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write([]byte(body))
}

func writeError(w http.ResponseWriter, code int, msg, hint string) {
	writeJSON(w, code, ErrorBody{Error: msg, Hint: hint})
}

func writeText(w http.ResponseWriter, code int, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write([]byte(text + "\n"))
}
