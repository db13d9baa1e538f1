package layers

import (
	"fmt"
	"math"
	"testing"
)

// TestGemm compares gemm (own kernel with its tails, and transposed operands) with a
// float64 reference on shapes around the kernel's 4-row and 8/16-column blocks.
func TestGemm(t *testing.T) {
	rng := NewRand(5)
	for _, m := range []int{1, 3, 4, 5, 9, 17, 70, 133} {
		for _, n := range []int{1, 7, 8, 15, 16, 17, 24, 33} {
			for _, k := range []int{1, 2, 27, 64, 65} {
				for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					for _, beta := range []float32{0, 1, 0.5} {
						name := fmt.Sprintf("%dx%dx%d_t%v_b%v", m, n, k, tr, beta)
						lda, ldb, ldc := k+1, n+2, n+3
						ar := m
						if tr[0] {
							ar, lda = k, m+1
						}
						br := k
						if tr[1] {
							br, ldb = n, k+2
						}
						a := make([]float32, ar*lda)
						b := make([]float32, br*ldb)
						c := make([]float32, m*ldc)
						for i := range a {
							a[i] = rng.Uniform(-1, 1)
						}
						for i := range b {
							b[i] = rng.Uniform(-1, 1)
						}
						for i := range c {
							c[i] = rng.Uniform(-1, 1)
						}
						want := make([]float64, len(c))
						for i := 0; i < m; i++ {
							for j := 0; j < ldc; j++ {
								want[i*ldc+j] = float64(c[i*ldc+j])
								if j >= n {
									continue
								}
								s := 0.0
								for l := 0; l < k; l++ {
									var av, bv float32
									if tr[0] {
										av = a[l*lda+i]
									} else {
										av = a[i*lda+l]
									}
									if tr[1] {
										bv = b[j*ldb+l]
									} else {
										bv = b[l*ldb+j]
									}
									s += float64(av) * float64(bv)
								}
								want[i*ldc+j] = s + float64(beta)*float64(c[i*ldc+j])
							}
						}
						gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
						for i := range c {
							if math.Abs(float64(c[i])-want[i]) > 1e-4 {
								t.Fatalf("%s: c[%d] = %v, want %v", name, i, c[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}
