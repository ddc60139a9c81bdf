#!/usr/bin/env bash
# Turns `go test -bench -benchmem` output on stdin into an aligned table.
awk '
/^pkg:/ { pkg = $2; sub(".*/webcall/", "", pkg) }
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	ns = ""; b = ""; allocs = ""; extra = ""
	for (i = 3; i < NF; i += 2) {
		if ($(i+1) == "ns/op") ns = $i
		else if ($(i+1) == "B/op") b = $i
		else if ($(i+1) == "allocs/op") allocs = $i
		else extra = extra $i " " $(i+1) "  "
	}
	rows[++n] = sprintf("%-16s %-44s %14s %12s %10s  %s", pkg, name, ns, b, allocs, extra)
}
END {
	printf "%-16s %-44s %14s %12s %10s  %s\n", "package", "benchmark", "ns/op", "B/op", "allocs/op", "other"
	for (i = 1; i <= n; i++) print rows[i]
}'
