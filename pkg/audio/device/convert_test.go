package device

import (
	"slices"
	"testing"
)

func TestMixDown(t *testing.T) {
	tests := []struct {
		name     string
		in       []int16
		channels int
		want     []int16
	}{
		{"mono copies", []int16{1, -2, 3}, 1, []int16{1, -2, 3}},
		{"stereo averages", []int16{100, 300, -100, -300, 7, 8}, 2, []int16{200, -200, 7}},
		{"full scale does not wrap", []int16{32767, 32767, -32768, -32768}, 2, []int16{32767, -32768}},
		{"one channel silent", []int16{1000, 0, 0, 1000}, 2, []int16{500, 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mixDown(make([]int16, len(tt.in)), tt.in, tt.channels)
			if !slices.Equal(got, tt.want) {
				t.Errorf("mixDown(%v, %d) = %v, want %v", tt.in, tt.channels, got, tt.want)
			}
		})
	}
}

func TestSpread(t *testing.T) {
	got := make([]int16, 6)
	spread(got, []int16{1, -2, 3}, 2)
	if want := []int16{1, 1, -2, -2, 3, 3}; !slices.Equal(got, want) {
		t.Errorf("spread to stereo = %v, want %v", got, want)
	}
	got = make([]int16, 3)
	spread(got, []int16{1, -2, 3}, 1)
	if want := []int16{1, -2, 3}; !slices.Equal(got, want) {
		t.Errorf("spread to mono = %v, want %v", got, want)
	}
}
