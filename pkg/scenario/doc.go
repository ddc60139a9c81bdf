// Package scenario is the file format of `webcall test`: scripted calls
// ("scenarios") to play against a voice agent turn by turn, their loading,
// and the judging of what a call observed (pkg/call's Result and
// TurnResult) into report checks (pkg/report).
//
// FORMAT.md beside this file is the user's reference; this comment is the
// same in short, and a test keeps their examples identical. A scenario
// file:
//
//	name: book a table            # default: the file name without its extension
//	connection:                   # where the call's credentials come from
//	  url: ${LIVEKIT_URL}
//	  api_key: ${LIVEKIT_API_KEY}
//	  api_secret: ${LIVEKIT_API_SECRET}
//	  agent_name: test-agent
//	timeout: 60s                  # deadline for the whole call (default 2m)
//	greeting:                     # the agent speaks first; judged like a reply
//	  expect: {contains: welcome}
//	turns:
//	  - name: ask for a table     # default "turn N"
//	    say: audio/hello.wav      # an audio file, relative to this file
//	    expect:
//	      reply: true             # the default for say, text and chat
//	      contains: [table, tonight]
//	      matches: "two|2"
//	      not_matches: sorry
//	      heard: "book a table"
//	      max_latency: 2s
//	      max_gap: 1s
//	      timeout: 10s
//	  - silence: 3s
//	    expect: {reply: false}    # the agent must stay quiet
//	  - text: "Make it eight o'clock"
//	    voice: en-us
//	  - chat: "Actually, three people"
//	  - say: audio/stop.wav
//	    barge_in: 800ms           # interrupt the reply to the chat, 0.8 s in
//	    expect:
//	      max_stop: 1s
//	expect:                       # on the whole call
//	  states: [listening, thinking, speaking]
//	  agent_turns: {min: 4, max: 6}
//
// Load reads files or directories of them (.yaml and .yml, in name order,
// not recursing into subdirectories). Every problem in every file is
// reported at once, located as FILE:LINE:COLUMN: FIELD: message, e.g.
//
//	call.yaml:12:20: turns[1].expect.max_latency: expected a duration such as 1.5s or 800ms, got "fast"
//
// The rules the loader enforces, so that a broken suite fails before any
// call is made:
//   - unknown keys are errors, with the nearest known key suggested;
//   - durations are Go durations (800ms, 1.5s); a bare number needs a unit;
//   - each turn does exactly one of say, text, chat or silence; barge_in
//     only on say or text, and only when there is a reply to interrupt;
//   - regular expressions (matches, not_matches, heard) compile, and match
//     without regard to case unless they begin with (?-i);
//   - ${NAME} and ${NAME:-default} in string values come from the
//     environment, and an unset NAME without a default is an error;
//   - secrets (token, api_secret, the HMS key, header values) come only
//     from ${NAME} or a file (token_file, api_secret_file, api_key_file),
//     never written in the file;
//   - paths are relative to the scenario file and must exist.
//
// Defaults: name is the file's name without its extension; timeout is
// DefaultTimeout; a turn's name is "turn N"; reply is expected (true) for
// say, text and chat turns and for a greeting, and left unchecked for
// silence.
//
// Judging: Turn.Judge, Expect.Judge (the greeting) and Scenario.JudgeCall
// return one report.Check per expectation, named by its key (replied for
// reply), with its line; VerdictOf folds them. Shard and ParseShard split
// a run's calls into contiguous parts.
//
// The package starts no goroutines and does no I/O but reading the
// scenario files and checking that the files they name exist.
package scenario
