#!/usr/bin/env bash
# make demo: a real call, end to end, on this machine. A LiveKit server on
# loopback, the test agent registered under a name, and webcall calling it
# with a bundled WAV file, live transcript on the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=bin
mkdir -p "$bin"
go build -o "$bin/lkserver" ./internal/lkserver/cmd/lkserver
go build -o "$bin/testagent" ./internal/testagent/cmd/testagent

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== starting a LiveKit server on 127.0.0.1"
"$bin/lkserver" >"$work/url" 2>"$work/lkserver.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -1 "$work/url")
[ -n "$url" ] || { echo "the LiveKit server did not start:"; cat "$work/lkserver.log"; exit 1; }
echo "   $url"

echo "== starting the test agent (agent name: demo-agent)"
"$bin/testagent" --url "$url" --api-key devkey --api-secret secret --agent-name demo-agent \
	--heard "Hello, I would like to book a table for two tonight." \
	--reply-wav testdata/audio/reply.wav \
	--reply-text "Sure, I can help you with that. What time would you like?" \
	>"$work/agent.out" 2>"$work/agent.log" &
pids+=($!)
# The server only dispatches rooms to workers registered before the room
# exists: wait until the agent says it is ready.
for _ in $(seq 100); do grep -q ready "$work/agent.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/agent.out" || { echo "the test agent did not start:"; cat "$work/agent.log"; exit 1; }

echo "== webcall call --input testdata/audio/hello.wav --agent-name demo-agent"
echo
LIVEKIT_API_SECRET=secret "$bin/webcall" call --url "$url" --api-key devkey \
	--agent-name demo-agent --input testdata/audio/hello.wav --output "$work/reply.wav"
echo
echo "== done: the agent's reply was $(soxi -D "$work/reply.wav" 2>/dev/null || echo '?') s of audio"
