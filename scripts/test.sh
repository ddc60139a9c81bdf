#!/usr/bin/env bash
# The whole test suite, as `make test` runs it, in two steps:
#   1. the packages that measure nothing in real time, two at a time (which
#      also compiles, two at a time, most of what the second step needs);
#   2. the packages that start LiveKit servers, test agents or sound daemons
#      and measure real-time audio, one at a time: side by side on two
#      cores they starve each other and fail for reasons that are not
#      theirs. (Within cmd/webcall, the end-to-end tests that measure
#      nothing run two at a time: see inParallel there.)
# A package that starts measuring real time belongs in REALTIME.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
module=$($GO list -m)

REALTIME=(
	cmd/webcall
	internal/testagent
	internal/pulse
	internal/release
	pkg/audio
	pkg/audio/device
	pkg/call
	pkg/kiosk
)

realtime=()
for p in "${REALTIME[@]}"; do realtime+=("$module/$p"); done
mapfile -t other < <($GO list ./... | grep -vxF -f <(printf '%s\n' "${realtime[@]}"))

$GO test -race -count=1 -p 2 -timeout 10m "${other[@]}"
$GO test -race -count=1 -p 1 -timeout 20m "${realtime[@]}"
