package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// testEnv is a fixed environment: what is not here is unset.
func testEnv(k string) string {
	return map[string]string{
		"LIVEKIT_URL":        "ws://127.0.0.1:7880",
		"LIVEKIT_API_KEY":    "devkey",
		"LIVEKIT_API_SECRET": "devsecret",
		"LIVEKIT_TOKEN":      "a.b.c",
		"HMS_API_KEY":        "hms-key",
		"API_TOKEN":          "t0k",
		"WHO":                "tester",
	}[k]
}

// inDir makes a scenario directory with an audio file and a secret file,
// and runs the test from it so that messages name call.yaml as given.
func inDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "audio"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "audio", "hello.wav"), []byte("RIFF"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("s3cret\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "two-lines.txt"), []byte("a\nb\n"), 0o600))
	t.Chdir(dir)
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func loadSource(t *testing.T, src string) ([]*Scenario, error) {
	t.Helper()
	must(t, os.WriteFile("call.yaml", []byte(src), 0o644))
	return Load([]string{"call.yaml"}, testEnv)
}

// problems returns the messages of a failed Load, one per problem.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		t.Fatal("Load succeeded; want an error")
	}
	var fe *failure.Error
	if !errors.As(err, &fe) || fe.Kind != failure.Usage || fe.Hint == "" {
		t.Fatalf("error %v is not a usage *failure.Error with a hint", err)
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v holds no Errors", err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Error())
	}
	return out
}

const turn0 = "turns:\n  - say: audio/hello.wav\n"

func TestLoadErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown top-level key", "nmae: x\n" + turn0,
			[]string{`call.yaml:1:1: nmae: unknown key "nmae"; did you mean "name"?`}},
		{"unknown nested key, near one", "turns:\n  - say: audio/hello.wav\n    expect:\n      max_latncy: 2s\n",
			[]string{`call.yaml:4:7: turns[0].expect.max_latncy: unknown key "max_latncy"; did you mean "max_latency"?`}},
		{"unknown nested key, far from all", "turns:\n  - say: audio/hello.wav\n    expect: {zzz: 1}\n",
			[]string{`call.yaml:3:14: turns[0].expect.zzz: unknown key "zzz"; expected one of contains, heard, matches, max_gap, max_latency, max_stop, not_matches, reply, timeout`}},
		{"unknown connection key", "connection:\n  api_secrte: ${LIVEKIT_API_SECRET}\n" + turn0,
			[]string{`call.yaml:2:3: connection.api_secrte: unknown key "api_secrte"; did you mean "api_secret"?`}},
		{"greeting has no max_latency", "greeting:\n  expect: {max_latency: 1s}\n" + turn0,
			[]string{`call.yaml:2:12: greeting.expect.max_latency: unknown key "max_latency"; expected one of contains, matches, max_gap, not_matches, reply, timeout`}},
		{"wrong type: mapping for a string", "name: {a: b}\n" + turn0,
			[]string{`call.yaml:1:7: name: expected a string, got a mapping`}},
		{"wrong type: string for a bool", "turns:\n  - say: audio/hello.wav\n    expect: {reply: yes}\n",
			[]string{`call.yaml:3:21: turns[0].expect.reply: expected true or false, got "yes"`}},
		{"wrong type: turns not a list", "turns: hello\n",
			[]string{`call.yaml:1:8: turns: expected a list of turns, got "hello"`}},
		{"wrong type: agent_turns", "expect: {agent_turns: many}\n" + turn0,
			[]string{`call.yaml:1:23: expect.agent_turns: expected a number, or a range such as {min: 2, max: 4}, got "many"`}},
		{"agent_turns max below min", "expect:\n  agent_turns: {min: 3, max: 2}\n" + turn0,
			[]string{`call.yaml:2:16: expect.agent_turns: max (2) is less than min (3)`}},
		{"bad duration", "turns:\n  - say: audio/hello.wav\n    expect:\n      max_latency: fast\n",
			[]string{`call.yaml:4:20: turns[0].expect.max_latency: expected a duration such as 1.5s or 800ms, got "fast"`}},
		{"bare number duration", "timeout: 60\n" + turn0,
			[]string{`call.yaml:1:10: timeout: expected a duration such as 1.5s or 800ms, got 60: add a unit, e.g. 60s`}},
		{"quoted number duration", "timeout: \"1.5\"\n" + turn0,
			[]string{`call.yaml:1:10: timeout: expected a duration such as 1.5s or 800ms, got "1.5": add a unit, e.g. 1.5s`}},
		{"zero bound", "turns:\n  - say: audio/hello.wav\n    expect: {max_gap: 0s}\n",
			[]string{`call.yaml:3:23: turns[0].expect.max_gap: expected a duration such as 1.5s or 800ms, got 0: it must be more than zero`}},
		{"negative barge_in", "greeting:\nturns:\n  - say: audio/hello.wav\n    barge_in: -1s\n",
			[]string{`call.yaml:4:15: turns[0].barge_in: expected a duration such as 1.5s or 800ms, got "-1s": it must not be negative`}},
		{"bad regexp", "turns:\n  - say: audio/hello.wav\n    expect:\n      matches: \"two|(\"\n",
			[]string{"call.yaml:4:16: turns[0].expect.matches: expected a Go regular expression (RE2 syntax), got \"two|(\": missing closing ): `two|(`"}},
		{"two actions in one turn", "turns:\n  - say: audio/hello.wav\n    chat: hi\n",
			[]string{`call.yaml:3:5: turns[0].chat: a turn does one thing, but this one has both say (line 2) and chat: split it into two turns`}},
		{"no action", "turns:\n  - say: audio/hello.wav\n  - name: nothing\n    expect: {reply: false}\n",
			[]string{`call.yaml:3:5: turns[1]: a turn needs one of say, text, chat, silence`}},
		{"barge_in on chat", "greeting:\nturns:\n  - chat: hi\n    barge_in: 1s\n",
			[]string{`call.yaml:4:5: turns[0].barge_in: barge_in needs a spoken turn (say or text), not chat`}},
		{"barge_in with nothing before", turn0 + "    barge_in: 1s\n",
			[]string{`call.yaml:3:5: turns[0].barge_in: barge_in interrupts the agent's previous reply, but there is none before the first turn: add a greeting`}},
		{"barge_in after a quiet turn", "turns:\n  - silence: 1s\n    expect: {reply: false}\n  - text: stop\n    barge_in: 1s\n",
			[]string{`call.yaml:5:5: turns[1].barge_in: barge_in interrupts the agent's previous reply, but the turn before expects no reply`}},
		{"voice without text", "turns:\n  - chat: hi\n    voice: en-us\n",
			[]string{`call.yaml:3:5: turns[0].voice: voice is for a text turn, which is synthesised; this turn has no text`}},
		{"max_stop without barge_in", "turns:\n  - text: hi\n    expect: {max_stop: 1s}\n",
			[]string{`call.yaml:3:14: turns[0].expect.max_stop: max_stop measures how fast the agent stops when interrupted: it needs barge_in on this turn`}},
		{"reply false with contains", "turns:\n  - text: hi\n    expect:\n      reply: false\n      contains: x\n",
			[]string{`call.yaml:5:7: turns[0].expect.contains: contains judges the agent's reply, but reply is false: drop one of them`}},
		{"heard on silence", "turns:\n  - silence: 2s\n    expect: {heard: x}\n",
			[]string{`call.yaml:3:14: turns[0].expect.heard: heard is what the agent understood the user to say, but a silence turn says nothing`}},
		{"literal secret", "connection:\n  api_secret: hunter2\n" + turn0,
			[]string{`call.yaml:2:15: connection.api_secret: a secret is written in the file; put secrets in the environment: api_secret: ${API_SECRET}, or read it from a file: api_secret_file: PATH`}},
		{"literal token", "connection:\n  token: eyJhbGciOi.x.y\n" + turn0,
			[]string{`call.yaml:2:10: connection.token: a secret is written in the file; put secrets in the environment: token: ${CALL_TOKEN}, or read it from a file: token_file: PATH`}},
		{"secret with a default", "connection:\n  token: ${LIVEKIT_TOKEN:-abc}\n" + turn0,
			[]string{`call.yaml:2:10: connection.token: a secret may not have a default, which would put it in the file; put secrets in the environment: token: ${CALL_TOKEN}`}},
		{"literal HMS key", "connection:\n  provider: hms\n  api_key: sk_live_1\n" + turn0,
			[]string{`call.yaml:3:12: connection.api_key: a secret is written in the file; put secrets in the environment: api_key: ${PROVIDER_API_KEY}`}},
		{"literal header value", "connection:\n  headers:\n    - \"Authorization: Bearer abc\"\n" + turn0,
			[]string{`call.yaml:3:7: connection.headers[0]: a header's value is taken for a secret and must come from the environment: Authorization: Bearer ${API_TOKEN}`}},
		{"token and token_file", "connection:\n  token: ${LIVEKIT_TOKEN}\n  token_file: secret.txt\n" + turn0,
			[]string{`call.yaml:3:3: connection.token_file: give token_file or token (line 2), not both`}},
		{"secret file of two lines", "connection:\n  api_secret_file: two-lines.txt\n" + turn0,
			[]string{`call.yaml:2:20: connection.api_secret_file: two-lines.txt has more than one line: it must hold just the secret`}},
		{"unset variable", "connection:\n  url: ${NOPE}\n" + turn0,
			[]string{`call.yaml:2:8: connection.url: the environment variable NOPE is not set (set it, or give a default: ${NOPE:-value})`}},
		{"unterminated reference", "name: ${WHO\n" + turn0,
			[]string{`call.yaml:1:7: name: unterminated ${ in "${WHO": close it with }, or write $${ for a literal ${`}},
		{"missing audio file", "turns:\n  - say: audio/helo.wav\n",
			[]string{`call.yaml:2:10: turns[0].say: audio file audio/helo.wav: no such file or directory (a relative path is taken from the scenario file's directory)`}},
		{"missing key file", "connection:\n  provider: hms\n  api_key_file: nokey.txt\n" + turn0,
			[]string{`call.yaml:3:17: connection.api_key_file: file nokey.txt: no such file or directory (a relative path is taken from the scenario file's directory)`}},
		{"empty turns", "turns: []\n",
			[]string{`call.yaml:1:8: turns: expected a list of turns, got an empty list: a scenario needs at least one turn`}},
		{"no turns", "name: x\n",
			[]string{`call.yaml:1:1: turns: a scenario needs turns: a list of what the user says, types or leaves silent`}},
		{"empty file", "# nothing\n",
			[]string{`call.yaml: the file is empty: a scenario needs at least turns`}},
		{"not a mapping", "- a\n- b\n",
			[]string{`call.yaml:1:1: expected a mapping of connection, expect, greeting, name, timeout, turns, got a list`}},
		{"two documents", turn0 + "---\n" + turn0,
			[]string{`call.yaml:3:1: a second YAML document: a file holds one scenario; put the next in a file of its own`}},
		{"YAML syntax", "name: [a\n" + turn0,
			[]string{`call.yaml:2:1: invalid YAML: ',' or ']' must be specified`}},
		{"duplicate key", "name: a\nname: b\n" + turn0,
			[]string{`call.yaml:2:1: invalid YAML: mapping key "name" already defined at [1:1]`}},
		{"several problems, in order", "timeout: soon\nturns:\n  - say: audio/nope.wav\n  - chat: \"\"\n",
			[]string{
				`call.yaml:1:10: timeout: expected a duration such as 1.5s or 800ms, got "soon"`,
				`call.yaml:3:10: turns[0].say: audio file audio/nope.wav: no such file or directory (a relative path is taken from the scenario file's directory)`,
				`call.yaml:4:11: turns[1].chat: expected the message to send, got an empty string`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inDir(t)
			_, err := loadSource(t, tt.src)
			got := problems(t, err)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not match ErrInvalid")
			}
		})
	}
}

// A secret must never be echoed in a message, which may land in a CI log.
func TestLiteralSecretIsNotRepeated(t *testing.T) {
	inDir(t)
	for _, src := range []string{
		"connection:\n  api_secret: hunter2\n" + turn0,
		"connection:\n  token: \"${LIVEKIT_TOKEN:-hunter2}\"\n" + turn0,
		"connection:\n  headers: [\"X-Key: hunter2\"]\n" + turn0,
		"connection:\n  provider: hms\n  api_key: hunter2\n" + turn0,
	} {
		_, err := loadSource(t, src)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error for %q: %v", src, err)
		}
	}
}

// A problem in a value the loader reads twice is still reported once.
func TestProviderProblemReportedOnce(t *testing.T) {
	inDir(t)
	_, err := loadSource(t, "connection:\n  provider: ${NOPE}\n"+turn0)
	if got := problems(t, err); len(got) != 1 {
		t.Errorf("problems:\n%s", strings.Join(got, "\n"))
	}
}
