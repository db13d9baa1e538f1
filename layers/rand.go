package layers

import "math/rand/v2"

// Rand is the deterministic random source used for weight initialisation and dropout masks.
type Rand struct {
	r        *rand.Rand
	skipData bool // see NoData
}

// NewRand returns a Rand seeded with seed.
func NewRand(seed uint64) *Rand { return &Rand{r: rand.New(rand.NewPCG(seed, 0x6b657261736f))} }

// Float32 returns a uniform value in [0, 1).
func (r *Rand) Float32() float32 { return r.r.Float32() }

// Uniform returns a uniform value in [lo, hi).
func (r *Rand) Uniform(lo, hi float32) float32 { return lo + (hi-lo)*r.r.Float32() }

// IntN returns a uniform int in [0, n).
func (r *Rand) IntN(n int) int { return r.r.IntN(n) }

// Perm returns a random permutation of [0, n).
func (r *Rand) Perm(n int) []int { return r.r.Perm(n) }

// Norm returns a standard normal value.
func (r *Rand) Norm() float64 { return r.r.NormFloat64() }

// TruncNorm returns a standard normal value truncated to [-2, 2] (redrawn outside).
func (r *Rand) TruncNorm() float64 {
	for {
		if v := r.r.NormFloat64(); v >= -2 && v <= 2 {
			return v
		}
	}
}
