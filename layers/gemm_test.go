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

// refGemm is the plain triple loop in float64: C = alpha·op(A)·op(B) + beta·C. It also
// returns, per element of C, the sum of |terms| that bounds the rounding error.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, scale []float64) {
	want = make([]float64, len(c))
	scale = make([]float64, len(c))
	for i := range c {
		want[i] = float64(c[i])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s, abs := 0.0, 0.0
			for l := 0; l < k; l++ {
				var av, bv float32
				if transA {
					av = a[l*lda+i]
				} else {
					av = a[i*lda+l]
				}
				if transB {
					bv = b[j*ldb+l]
				} else {
					bv = b[l*ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			old := float64(c[i*ldc+j])
			want[i*ldc+j] = float64(alpha)*s + float64(beta)*old
			scale[i*ldc+j] = math.Abs(float64(alpha))*abs + math.Abs(float64(beta)*old)
		}
	}
	return want, scale
}

// gemmCase runs one product through kn and compares every element of C (including the
// columns past n and the rows' padding, which must be left alone) with refGemm.
func gemmCase(t *testing.T, kn *microKernel, rng *Rand, transA, transB bool, m, n, k int, alpha, beta float32, padA, padB, padC int) {
	t.Helper()
	lda, ldb, ldc := k+padA, n+padB, n+padC
	ar, br := m, k
	if transA {
		ar, lda = k, m+padA
	}
	if transB {
		br, ldb = n, k+padB
	}
	a := make([]float32, max(ar*lda, 1))
	b := make([]float32, max(br*ldb, 1))
	c := make([]float32, max(m*ldc, 1))
	for _, s := range [][]float32{a, b, c} {
		for i := range s {
			s[i] = rng.Uniform(-1, 1)
		}
	}
	want, scale := refGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	gemmWith(kn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	for i := range c {
		if d := math.Abs(float64(c[i]) - want[i]); d > 2e-6*scale[i]*math.Sqrt(float64(k)+1)+1e-7 {
			t.Fatalf("%s %dx%dx%d transA=%v transB=%v alpha=%v beta=%v lda=%d ldb=%d ldc=%d: c[%d] (row %d col %d) = %v, want %v",
				kn.name, m, n, k, transA, transB, alpha, beta, lda, ldb, ldc, i, i/ldc, i%ldc, c[i], want[i])
		}
	}
}

// TestGemmKernels runs every micro-kernel this CPU has through the blocked core on random
// shapes: sizes around each kernel's tile (edges in both directions, narrow last slivers),
// depths across several slabs, transposes, alpha and beta values, and leading dimensions
// larger than the rows.
func TestGemmKernels(t *testing.T) {
	for _, kn := range gemmKernels() {
		t.Run(kn.name, func(t *testing.T) {
			rng := NewRand(11)
			mr, nr := kn.mr, kn.nr
			ms := []int{1, 2, mr - 1, mr, mr + 1, 2*mr + 3, 5*mr - 1}
			ns := []int{1, 3, nr/2 - 1, nr / 2, nr/2 + 1, nr - 1, nr, nr + 1, 2*nr + nr/2, 3*nr - 1}
			ks := []int{1, 2, 7, 33, kn.kc + 5}
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						tr := rng.IntN(4)
						ab := [][2]float32{{1, 0}, {1, 1}, {0.5, 2}, {-1.5, 0.25}, {0, 0.5}}[rng.IntN(5)]
						gemmCase(t, kn, rng, tr&1 != 0, tr&2 != 0, m, n, k, ab[0], ab[1], rng.IntN(3), rng.IntN(3), rng.IntN(3))
					}
				}
			}
			// Random shapes, all four transposes, and products large enough to go parallel
			// with several A blocks, B slivers and slabs.
			for range 60 {
				m, n, k := 1+rng.IntN(3*kn.mc/2), 1+rng.IntN(5*nr), 1+rng.IntN(kn.kc*2)
				tr := rng.IntN(4)
				gemmCase(t, kn, rng, tr&1 != 0, tr&2 != 0, m, n, k, rng.Uniform(-2, 2), rng.Uniform(-1, 1), rng.IntN(5), rng.IntN(5), rng.IntN(5))
			}
			// A read in place with a leading dimension equal to mr (k = mr, or m = mr for Aᵀ),
			// into a narrow last sliver.
			gemmCase(t, kn, rng, false, false, 2*mr, nr+nr/2, mr, 1, 0, 0, 0, 0)
			gemmCase(t, kn, rng, true, false, mr, nr/2, 9, 1, 1, 0, 0, 0)
			// Parallel products with B packed whole, and with B packed slab by slab (too
			// large to pack whole; several B blocks).
			gemmCase(t, kn, rng, false, true, 150, 3*nr+5, 300, 1, 0.5, 1, 1, 1)
			gemmCase(t, kn, rng, true, false, 60, 600, 601, 1, 0, 0, 3, 0)
			gemmCase(t, kn, rng, false, false, 40, kn.nc+5, 300, 1, 1, 0, 0, 0)
			gemmCase(t, kn, rng, false, false, 3, kn.nc+nr+3, 17, 1, 0, 1, 2, 3)       // several B blocks
			gemmCase(t, kn, rng, true, true, kn.mc+mr+1, 70, 2*kn.kc+3, 1, 1, 0, 0, 0) // several A blocks and slabs
			// A packed whole, B packed by the chunk that uses it (wholeA): partial last A
			// sliver, narrow last B sliver, several B blocks and slabs, every transpose.
			for tr := range 4 {
				gemmCase(t, kn, rng, tr&1 != 0, tr&2 != 0, 3*mr+5, 17*nr+nr/2-1, 2*kn.kc+7, 1.5, 0.5, 1, 2, 3)
				gemmCase(t, kn, rng, tr&1 != 0, tr&2 != 0, 5*mr, kn.nc+3*nr+1, kn.kc+1, 1, 0, 0, 0, 0)
			}
		})
	}
}

// TestGemmZeroSizes checks that empty products only scale C (k = 0, alpha = 0) or do
// nothing (m or n = 0).
func TestGemmZeroSizes(t *testing.T) {
	for _, kn := range gemmKernels() {
		rng := NewRand(3)
		gemmCase(t, kn, rng, false, false, 5, 7, 0, 1, 0.5, 0, 0, 1)
		gemmCase(t, kn, rng, true, false, 5, 7, 9, 0, 2, 0, 0, 1)
		c := []float32{1, 2}
		gemmWith(kn, false, false, 0, 2, 3, 1, nil, 3, nil, 2, 0, c, 2)
		gemmWith(kn, false, false, 2, 0, 3, 1, nil, 3, nil, 2, 0, c, 2)
		if c[0] != 1 || c[1] != 2 {
			t.Fatalf("%s: empty product changed C: %v", kn.name, c)
		}
	}
}

// TestSgemmNAndKernel checks the two accumulate-only entry points: sgemmN adds op(A)·B to
// all of C, kernel to its rows [0, m&^3) and columns [0, n&^7) only.
func TestSgemmNAndKernel(t *testing.T) {
	rng := NewRand(4)
	for _, tc := range [][3]int{{1, 1, 1}, {4, 8, 3}, {13, 29, 70}, {40, 17, 300}} {
		m, n, k := tc[0], tc[1], tc[2]
		for _, transA := range []bool{false, true} {
			lda, ar := k+1, m
			if transA {
				lda, ar = m+2, k
			}
			a := make([]float32, ar*lda)
			b := make([]float32, k*(n+3))
			c := make([]float32, m*(n+1))
			for _, s := range [][]float32{a, b, c} {
				for i := range s {
					s[i] = rng.Uniform(-1, 1)
				}
			}
			want, scale := refGemm(transA, false, m, n, k, 1, a, lda, b, n+3, 1, c, n+1)
			c2 := append([]float32(nil), c...)
			orig := append([]float32(nil), c...)
			sgemmN(transA, m, n, k, a, lda, b, n+3, c, n+1)
			m4, n8 := kernel(transA, m, n, k, a, lda, b, n+3, c2, n+1)
			if m4 != m&^3 || n8 != n&^7 {
				t.Fatalf("kernel %dx%d covered %dx%d", m, n, m4, n8)
			}
			for i := range c {
				tol := 1e-5*scale[i] + 1e-6
				if math.Abs(float64(c[i])-want[i]) > tol {
					t.Fatalf("sgemmN %v %dx%dx%d: c[%d] = %v, want %v", transA, m, n, k, i, c[i], want[i])
				}
				r, col := i/(n+1), i%(n+1)
				if r >= m4 || col >= n8 {
					if c2[i] != orig[i] {
						t.Fatalf("kernel %v %dx%dx%d: c[%d] outside %dx%d changed", transA, m, n, k, i, m4, n8)
					}
					continue
				}
				if math.Abs(float64(c2[i])-want[i]) > tol {
					t.Fatalf("kernel %v %dx%dx%d: c[%d] = %v, want %v", transA, m, n, k, i, c2[i], want[i])
				}
			}
		}
	}
}

// TestGemmNoAlloc checks that a product small enough to run on the caller's goroutine
// allocates nothing once the packing buffer is warm.
func TestGemmNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under the race detector")
	}
	a := make([]float32, 40*27)
	b := make([]float32, 27*16)
	c := make([]float32, 40*16)
	gemm(false, false, 40, 16, 27, 1, a, 27, b, 16, 0, c, 16)
	if n := testing.AllocsPerRun(100, func() {
		gemm(false, false, 40, 16, 27, 1, a, 27, b, 16, 0, c, 16)
		gemm(true, true, 16, 27, 40, 0.5, c, 16, a, 27, 1, b, 27)
	}); n > 0.05 {
		t.Fatalf("gemm allocates %v times per call", n)
	}
}
