package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// Shard is the half-open range [lo, hi) of n work items that the k-th
// (1-based) of count shards runs. The parts are contiguous, in order, and
// differ in size by at most one, so the shards of one run partition it and
// their reports, merged by index, are the run. It panics when k is not in
// 1..count, which ParseShard rules out.
func Shard(n, k, count int) (lo, hi int) {
	if count < 1 || k < 1 || k > count || n < 0 {
		panic(fmt.Sprintf("scenario.Shard(%d, %d, %d): want n >= 0 and 1 <= k <= count", n, k, count))
	}
	// In int64 so n*k cannot overflow on 32-bit platforms.
	lo = int(int64(n) * int64(k-1) / int64(count))
	hi = int(int64(n) * int64(k) / int64(count))
	return lo, hi
}

// ParseShard reads "K/N": this run is the K-th of N shards.
func ParseShard(s string) (k, n int, err error) {
	bad := func(msg string) (int, int, error) {
		return 0, 0, failure.Newf(failure.Usage, "invalid shard %q: %s", s, msg).WithCond(ErrBadShard).
			WithHint("write the shard as K/N, e.g. 2/4 for the second of four parts")
	}
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return bad("expected K/N")
	}
	k, kerr := strconv.Atoi(strings.TrimSpace(ks))
	n, nerr := strconv.Atoi(strings.TrimSpace(ns))
	switch {
	case kerr != nil || nerr != nil:
		return bad("K and N must be whole numbers")
	case n < 1:
		return bad("N, the number of shards, must be at least 1")
	case k < 1 || k > n:
		return bad(fmt.Sprintf("K must be between 1 and %d", n))
	}
	return k, n, nil
}
