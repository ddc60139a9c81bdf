package scenario

import (
	"errors"
	"testing"

	"github.com/webcall-cli/webcall/pkg/failure"
)

// The shards of a run cover every item exactly once, in order, and differ
// in size by at most one.
func TestShardsPartition(t *testing.T) {
	for n := 0; n <= 60; n++ {
		for count := 1; count <= 12; count++ {
			next, smallest, largest := 0, n, 0
			for k := 1; k <= count; k++ {
				lo, hi := Shard(n, k, count)
				if lo != next || hi < lo {
					t.Fatalf("Shard(%d, %d, %d) = [%d, %d), want it to start at %d", n, k, count, lo, hi, next)
				}
				next = hi
				smallest, largest = min(smallest, hi-lo), max(largest, hi-lo)
			}
			if next != n {
				t.Fatalf("the %d shards of %d items end at %d", count, n, next)
			}
			if largest-smallest > 1 {
				t.Fatalf("the %d shards of %d items range from %d to %d items", count, n, smallest, largest)
			}
		}
	}
}

func TestShardIsDeterministic(t *testing.T) {
	lo, hi := Shard(10, 2, 3)
	if lo != 3 || hi != 6 {
		t.Errorf("Shard(10, 2, 3) = [%d, %d), want [3, 6)", lo, hi)
	}
	lo2, hi2 := Shard(10, 2, 3)
	if lo2 != lo || hi2 != hi {
		t.Error("Shard gave two answers")
	}
}

func TestShardPanicsOutsideItsRange(t *testing.T) {
	for _, args := range [][3]int{{10, 0, 3}, {10, 4, 3}, {10, 1, 0}, {-1, 1, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Shard%v did not panic", args)
				}
			}()
			Shard(args[0], args[1], args[2])
		}()
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		k, n    int
		wantErr string
	}{
		{"1/1", 1, 1, ""},
		{"2/4", 2, 4, ""},
		{" 4 / 4 ", 4, 4, ""},
		{"0/4", 0, 0, `invalid shard "0/4": K must be between 1 and 4`},
		{"5/4", 0, 0, `invalid shard "5/4": K must be between 1 and 4`},
		{"1/0", 0, 0, `invalid shard "1/0": N, the number of shards, must be at least 1`},
		{"2", 0, 0, `invalid shard "2": expected K/N`},
		{"a/b", 0, 0, `invalid shard "a/b": K and N must be whole numbers`},
		{"", 0, 0, `invalid shard "": expected K/N`},
	}
	for _, tt := range tests {
		k, n, err := ParseShard(tt.in)
		if tt.wantErr == "" {
			if err != nil || k != tt.k || n != tt.n {
				t.Errorf("ParseShard(%q) = %d, %d, %v", tt.in, k, n, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("ParseShard(%q) error = %v, want %s", tt.in, err, tt.wantErr)
			continue
		}
		if !errors.Is(err, ErrBadShard) || failure.KindOf(err) != failure.Usage || failure.HintOf(err) == "" {
			t.Errorf("ParseShard(%q) error is not a usage error with ErrBadShard and a hint", tt.in)
		}
	}
}
