package layers

import (
	"fmt"
	"math"
	"testing"
)

// TestGemmPacked compares gemmPacked over a B packed once (packBFor, both layouts of B)
// with a plain float64 triple loop, for every micro-kernel this CPU runs, on odd shapes
// around the kernels' tiles, with beta 0 and 1, and reuses each packed B for two products.
func TestGemmPacked(t *testing.T) {
	rng := NewRand(9)
	for _, kn := range gemmKernels() {
		var pb *packedB
		for _, m := range []int{1, 3, 5, 12, 13, 32, 50} {
			for _, n := range []int{1, 7, 16, 17, 33, 100, 1024} {
				for _, k := range []int{1, 5, 64, 257} {
					if m*n*k > 1<<23 {
						continue
					}
					for _, trans := range []bool{false, true} {
						name := fmt.Sprintf("%s/%dx%dx%d_t%v", kn.name, m, n, k, trans)
						ldb := n + 3
						br := k
						if trans {
							br, ldb = n, k+1
						}
						b := make([]float32, br*ldb)
						for i := range b {
							b[i] = rng.Uniform(-1, 1)
						}
						pb = packBFor(kn, pb, trans, k, n, b, ldb)
						for rep, beta := range []float32{0, 1} {
							lda, ldc := k+2, n+1
							a := make([]float32, m*lda)
							c := make([]float32, m*ldc)
							for i := range a {
								a[i] = rng.Uniform(-1, 1)
							}
							for i := range c {
								c[i] = rng.Uniform(-1, 1)
							}
							want := make([]float64, len(c))
							for i := range m {
								for j := range ldc {
									want[i*ldc+j] = float64(c[i*ldc+j])
									if j >= n {
										continue
									}
									s := float64(beta) * float64(c[i*ldc+j])
									for l := range k {
										var bv float32
										if trans {
											bv = b[j*ldb+l]
										} else {
											bv = b[l*ldb+j]
										}
										s += float64(a[i*lda+l]) * float64(bv)
									}
									want[i*ldc+j] = s
								}
							}
							gemmPacked(m, a, lda, pb, beta, c, ldc)
							for i, w := range want {
								if d := math.Abs(float64(c[i]) - w); d > 1e-4*(1+math.Abs(w))*math.Sqrt(float64(k)) {
									t.Fatalf("%s rep %d: c[%d] = %g, want %g", name, rep, i, c[i], w)
								}
							}
						}
					}
				}
			}
		}
	}
}
