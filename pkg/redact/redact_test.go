package redact

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestString(t *testing.T) {
	var r Registry
	r.Add("sk_live/abc+def", "tok.en.123.456", "", "  ", "abcdefg")
	tests := []struct{ in, want string }{
		{"key=sk_live/abc+def", "key=[REDACTED]"},
		{"q=sk_live%2Fabc%2Bdef&x=1", "q=[REDACTED]&x=1"}, // query-escaped
		{"/p/sk_live%2Fabc+def/", "/p/[REDACTED]/"},       // path-escaped
		{`{"t":"tok.en.123.456"}`, `{"t":"[REDACTED]"}`},
		{"tok.en.123.456tok.en.123.456", "[REDACTED][REDACTED]"},
		{"abcdefg is too short to be a secret", "abcdefg is too short to be a secret"},
		{"nothing here", "nothing here"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestJSONEscapedForm(t *testing.T) {
	var r Registry
	r.Add(`a<b>&"c"-long-secret`)
	if got := r.String(`{"k":"a\u003cb\u003e\u0026\"c\"-long-secret"}`); got != `{"k":"[REDACTED]"}` {
		t.Errorf("got %q", got)
	}
}

func TestLongestFirst(t *testing.T) {
	var r Registry
	r.Add("abcdefghijkl", "abcdefghijklmnop")
	if got := r.String("xabcdefghijklmnopx abcdefghijklx"); got != "x[REDACTED]x [REDACTED]x" {
		t.Errorf("got %q", got)
	}
}

// TestWriterSplits writes a text holding secrets in every possible split
// into two and three Write calls and checks that no split leaks.
func TestWriterSplits(t *testing.T) {
	var r Registry
	r.Add("eyJhbGciOi.secret.token", "abcdefghijkl", "abcdefghijklmnop", "xyz123456789", "123456789abc", "shortkey", "sesame-99")
	text := "start eyJhbGciOi.secret.token mid abcdefghijklmnop abcdefghijklx xyz123456789abc end\n" +
		"shortkey sesame-99 --api-sesame-99 shortkey2 (sesame-99) sesame-99\nline two abcdefghijk eyJ\n"
	want := r.String(text)
	if strings.Contains(want, ".secret.") || strings.Contains(want, "abcdefghijkl") || strings.Contains(want, "xyz123") ||
		strings.Contains(want, "shortkey ") || strings.Contains(want, " sesame") || strings.Contains(want, "(sesame") {
		t.Fatalf("String leaks: %q", want)
	}
	for i := 0; i <= len(text); i++ {
		for j := i; j <= len(text); j += 3 {
			var out bytes.Buffer
			w := r.NewWriter(&out)
			for _, part := range []string{text[:i], text[i:j], text[j:]} {
				if n, err := w.Write([]byte(part)); n != len(part) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("split at %d,%d: got %q, want %q", i, j, out.String(), want)
			}
		}
	}
}

// TestShortSecretsWholeWords: a short secret is masked where it stands
// alone, not inside other words; one shorter than MinLen (like the local
// development server's "secret") is not masked at all.
func TestShortSecretsWholeWords(t *testing.T) {
	var r Registry
	r.Add("devkey", "secret", "APIshort1", "hunter22")
	tests := []struct{ in, want string }{
		{"--api-key APIshort1 --api-secret hunter22", "--api-key [REDACTED] --api-secret [REDACTED]"},
		{"LIVEKIT_API_SECRET=hunter22", "LIVEKIT_API_SECRET=[REDACTED]"},
		{`{"key":"APIshort1"}`, `{"key":"[REDACTED]"}`},
		{"hunter222 and my_hunter22 and APIshort1-x", "hunter222 and my_hunter22 and APIshort1-x"},
		{"hunter22", "[REDACTED]"},
		{"needs an API key (devkey) and its secret", "needs an API key (devkey) and its secret"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
		var out bytes.Buffer
		w := r.NewWriter(&out)
		for i := range len(tt.in) {
			w.Write([]byte{tt.in[i]})
		}
		w.Close()
		if out.String() != tt.want {
			t.Errorf("byte by byte %q = %q, want %q", tt.in, out.String(), tt.want)
		}
	}
}

func TestWriterOneByteAtATime(t *testing.T) {
	var r Registry
	r.Add("s3cr3t-value")
	var out bytes.Buffer
	w := r.NewWriter(&out)
	text := "a s3cr3t-value b s3cr3t-valu\n"
	for i := range len(text) {
		w.Write([]byte{text[i]})
	}
	w.Close()
	if got, want := out.String(), "a [REDACTED] b s3cr3t-valu\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A line is written out by the Write that ends it, and text that cannot
// start a secret is not held back at all: a live transcript stays live.
func TestWriterDoesNotDelay(t *testing.T) {
	var r Registry
	r.Add("eyJsecret-long-enough")
	var out bytes.Buffer
	w := r.NewWriter(&out)
	fmt.Fprint(w, "agent: hello there\n")
	if out.String() != "agent: hello there\n" {
		t.Errorf("after a full line: %q", out.String())
	}
	out.Reset()
	fmt.Fprint(w, "\ryou: interim wor")
	if out.String() != "\ryou: interim wor" {
		t.Errorf("after a partial line: %q", out.String())
	}
	out.Reset()
	fmt.Fprint(w, "\rprefix ey")
	if out.String() != "\rprefix " {
		t.Errorf("possible start of a secret not held back: %q", out.String())
	}
	w.Flush()
	if out.String() != "\rprefix ey" {
		t.Errorf("Flush did not write the tail: %q", out.String())
	}
}

func TestWriterLateRegistration(t *testing.T) {
	var r Registry
	var out bytes.Buffer
	w := r.NewWriter(&out)
	fmt.Fprint(w, "before\n")
	r.Add("later-secret")
	fmt.Fprint(w, "after later-secret\n")
	if got := out.String(); got != "before\nafter [REDACTED]\n" {
		t.Errorf("got %q", got)
	}
}

func TestWriterConcurrent(t *testing.T) {
	var r Registry
	r.Add("concurrent-secret")
	var out bytes.Buffer
	w := r.NewWriter(&out)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				fmt.Fprintf(w, "g%d i%d concurrent-secret\n", g, i)
			}
		}()
	}
	wg.Wait()
	w.Close()
	if strings.Contains(out.String(), "concurrent-secret") || strings.Count(out.String(), Mask) != 800 {
		t.Errorf("concurrent writes leaked or lost lines")
	}
}

func TestDefault(t *testing.T) {
	Add("default-registry-secret")
	if got := String("x default-registry-secret"); got != "x [REDACTED]" {
		t.Errorf("String = %q", got)
	}
	var out bytes.Buffer
	w := NewWriter(&out)
	fmt.Fprint(w, "default-registry-secret")
	w.Close()
	if out.String() != Mask {
		t.Errorf("NewWriter = %q", out.String())
	}
}

func BenchmarkWriter(b *testing.B) {
	var r Registry
	r.Add("eyJhbGciOiJIUzI1NiJ9.payload.signature", "APIkey12345", "secret-value-0123456789")
	w := r.NewWriter(discard{})
	line := []byte(`{"type":"transcript","speaker":"agent","text":"the quick brown fox jumps over the lazy dog","final":true}` + "\n")
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		w.Write(line)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
