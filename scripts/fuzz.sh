#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (default 4s),
# one target per `go test -fuzz` run, as Go requires. Targets are found,
# not listed here: every package whose tests define a func FuzzX is asked
# for its targets with `go test -list`, so a new target is never left out.
#
# A target that fails makes this script fail, after the others have run;
# Go leaves the input that failed in <package>/testdata/fuzz/FuzzX/, where
# it runs as a plain test from then on (commit it with the fix).
#
#   FUZZTIME=30s scripts/fuzz.sh            # longer runs
#   scripts/fuzz.sh ./pkg/audio ./pkg/room  # some packages only
set -uo pipefail

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-4s}
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
	pkgs=("$@")
else
	# Packages with a fuzz target in their tests; grep instead of
	# `go list` keeps the other packages from being built.
	mapfile -t pkgs < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Z0-9_]' . |
		xargs -r -n1 dirname | sort -u)
fi

# Each package's test binary is built once, instrumented for fuzzing, and
# run once per target: `go test -fuzz` would link it again for each.
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
cache=$($GO env GOCACHE)/fuzz

# deadline_only: a failed run's output says only that the fuzz time ran
# out, with no failing input written, no panic and no test error.
deadline_only() {
	grep -q 'context deadline exceeded' <<<"$1" &&
		! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' <<<"$1"
}

failed=()
total=0
start=$SECONDS
for pkg in "${pkgs[@]}"; do
	t0=$SECONDS
	importpath=$($GO list "$pkg") &&
		first=$(grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' "$pkg" | head -1 | cut -d' ' -f2) &&
		bin="$bindir/$(basename "$importpath").test" &&
		$GO test -c -fuzz "^${first}\$" -o "$bin" "$pkg" &&
		targets=$(cd "$pkg" && "$bin" -test.list '^Fuzz' | grep '^Fuzz') || {
		echo "fuzz: cannot build or list the targets of $pkg" >&2
		failed+=("$pkg")
		continue
	}
	printf 'fuzz: built %-22s %3ds\n' "$pkg" $((SECONDS - t0))
	for target in $targets; do
		total=$((total + 1))
		t0=$SECONDS
		# Run in the package's directory, as go test does: the seed
		# corpus and any new failing input live in its testdata/fuzz.
		run() {
			cd "$pkg" && "$bin" -test.run '^$' -test.fuzz "^${target}\$" -test.fuzztime "$FUZZTIME" \
				-test.fuzzcachedir "$cache/$importpath" 2>&1
		}
		out=$(run)
		status=$?
		# Go 1.26's coordinator can end a run that found nothing with a
		# bare "context deadline exceeded" at the fuzztime boundary
		# (golang/go#75804, fixed in 1.27). A real finding always writes
		# its input; a bare deadline is run once more, and only a second
		# one that found nothing either is let through, with a warning.
		if [ $status -ne 0 ] && deadline_only "$out"; then
			echo "fuzz: $target hit Go's fuzztime deadline race (golang/go#75804) without a finding; running it again"
			out=$(run)
			status=$?
			if [ $status -ne 0 ] && deadline_only "$out"; then
				echo "fuzz: warning: $target hit the deadline race twice, still without a finding"
				status=0
			fi
		fi
		if [ $status -eq 0 ]; then
			execs=$(grep -oE 'execs: [0-9]+' <<<"$out" | tail -1)
			printf 'fuzz: ok    %-22s %-18s %3ds %s\n' "$target" "$pkg" $((SECONDS - t0)) "${execs:-}"
		else
			printf 'fuzz: FAIL  %-22s %s\n' "$target" "$pkg"
			echo "$out" | tail -30
			failed+=("$pkg $target")
		fi
	done
done

echo "fuzz: $total targets, $FUZZTIME each, $((SECONDS - start))s in all"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'fuzz: failed: %s\n' "${failed[@]}" >&2
	echo "fuzz: the failing inputs are in <package>/testdata/fuzz/<target>/; reproduce with go test -run '<target>/<file>' <package>" >&2
	exit 1
fi
