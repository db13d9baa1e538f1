package layers

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAffineRows checks affineRows (the AVX-512 kernel where the CPU has it and the channel
// count is a multiple of 16, the Go loop otherwise) against v*scale+shift in float64, for odd
// and wide channel counts and row counts including 0 and 1.
func TestAffineRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, c := range []int{1, 3, 15, 16, 17, 32, 48, 64, 160} {
		for _, rows := range []int{0, 1, 2, 7, 33} {
			d := make([]float32, rows*c)
			scale, shift := make([]float32, c), make([]float32, c)
			for i := range d {
				d[i] = float32(rng.NormFloat64() * 10)
			}
			for j := range scale {
				scale[j], shift[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64()*3)
			}
			want := make([]float64, len(d))
			for i, v := range d {
				want[i] = float64(v)*float64(scale[i%c]) + float64(shift[i%c])
			}
			affineRows(d, scale, shift)
			for i, v := range d {
				if diff := math.Abs(float64(v) - want[i]); diff > 1e-6*(math.Abs(want[i])+math.Abs(float64(shift[i%c])))+1e-30 {
					t.Fatalf("c=%d rows=%d [%d]: %v, want %v", c, rows, i, v, want[i])
				}
			}
		}
	}
}
