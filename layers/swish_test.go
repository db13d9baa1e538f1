package layers

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSwishSlice checks swishSlice (the AVX-512 kernel where the CPU has it, the Go loop on
// the tail) bit for bit against sigmoidSlice then the product, and against float64 x·σ(x)
// within 4 ulp-ish relative error, over lengths that are not multiples of 16 and a wide range
// of inputs (±0, subnormal results, ±Inf, overflowing exponents).
func TestSwishSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{1, 15, 16, 17, 33, 100, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 20)
		}
		if n == 100 {
			copy(x, []float32{0, float32(math.Copysign(0, -1)), 90, -90, -110, 110, float32(math.Inf(1)), float32(math.Inf(-1)), -1e-30, 1e-30})
		}
		y, s := make([]float32, n), make([]float32, n)
		swishSlice(x, y)
		sigmoidSlice(x, s)
		for i, v := range x {
			if want := s[i] * v; y[i] != want && !(math.IsNaN(float64(y[i])) && math.IsNaN(float64(want))) {
				t.Fatalf("n=%d: swish(%v) = %v, sigmoid·x = %v", n, v, y[i], want)
			}
			xv := float64(v)
			ref := xv / (1 + math.Exp(-xv))
			if math.IsInf(xv, -1) {
				ref = math.NaN() // -Inf · 0, as x·σ(x) gives
			}
			if math.IsNaN(ref) || math.IsInf(ref, 0) {
				continue
			}
			if d := math.Abs(float64(y[i]) - ref); d > 4e-7*math.Abs(ref)+1e-38 {
				t.Fatalf("n=%d: swish(%v) = %v, want %v", n, v, y[i], ref)
			}
		}
	}
}
