//go:build amd64 && !purego

package layers

// Kernel-level tests of the amd64 assembly kernels that have no portable twin (see
// kernel_ref_test.go for the rest), each against a plain float64 loop.

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestConvZKernelsRef calls every AVX-512 direct-convolution kernel (convZ{P}x16, P = 1..16,
// and convZ{P}x32, P = 1..12) on its own against a float64 loop: random window geometry
// (kernel rows 1..4, kernel width × channels 1..~20, pixel strides 1..3 pixels, rows wider
// than the window), every width of the masked last vector (1..16 channels), weight and
// output leading dimensions wider than the block, bias, ReLU on and off. Output lanes past
// the block and the pixels' padding must stay untouched.
func TestConvZKernelsRef(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512F on this CPU")
	}
	rng := NewRand(201)
	for nv, ks := range map[int][]convKernelFunc{1: convKernels16[:], 2: convKernels32[:]} {
		for P := 1; P < len(ks); P++ {
			k := ks[P]
			for trial := range 6 {
				C, kw, nseg := 1+rng.IntN(6), 1+rng.IntN(3), 1+rng.IntN(4)
				if trial == 0 {
					C, kw, nseg = 1, 1, 1
				}
				sw := 1 + rng.IntN(3)
				seglen, pixstride := kw*C, sw*C
				segstride := (P-1)*pixstride + seglen + rng.IntN(5)
				width := 16*(nv-1) + 1 + rng.IntN(16)
				if trial == 1 {
					width = 16 * nv
				}
				mask := 1<<(width-16*(nv-1)) - 1
				ldw, ldo := width+rng.IntN(4), width+rng.IntN(4)
				relu := trial % 2
				x := make([]float32, (nseg-1)*segstride+(P-1)*pixstride+seglen)
				wt := make([]float32, nseg*seglen*ldw+32)
				bias := make([]float32, 32)
				out := make([]float32, P*ldo+32)
				for _, s := range [][]float32{x, wt, bias} {
					for i := range s {
						s[i] = rng.Uniform(-1, 1)
					}
				}
				for i := range out {
					out[i] = 77
				}
				name := fmt.Sprintf("convZ%dx%d C%d kw%d nseg%d sw%d segstride%d width%d ldw%d ldo%d relu%d", P, 16*nv, C, kw, nseg, sw, segstride, width, ldw, ldo, relu)
				k(&x[0], &wt[0], &out[0], &bias[0], nseg, seglen, segstride, pixstride, ldw, ldo, mask, relu)
				for p := range P {
					for j := range ldo {
						got := out[p*ldo+j]
						if j >= width {
							if got != 77 {
								t.Fatalf("%s: out[%d][%d] past the block written (%v)", name, p, j, got)
							}
							continue
						}
						s, abs := float64(bias[j]), math.Abs(float64(bias[j]))
						for sg := range nseg {
							for e := range seglen {
								v := float64(x[p*pixstride+sg*segstride+e]) * float64(wt[(sg*seglen+e)*ldw+j])
								s += v
								abs += math.Abs(v)
							}
						}
						if relu == 1 {
							s = max(s, 0)
						}
						if !refTol(got, s, abs, nseg*seglen) {
							t.Fatalf("%s: out[%d][%d] = %v, want %v", name, p, j, got, s)
						}
					}
				}
				for i := P * ldo; i < len(out); i++ {
					if out[i] != 77 {
						t.Fatalf("%s: wrote past the last pixel", name)
					}
				}
			}
		}
	}
}

// TestConvBlockRef checks the AVX2 implicit-im2col kernel (convBlock: kern4x16seg over
// whole 16-column blocks, kern4x8seg for a last 8) against a float64 loop on random
// segment counts and lengths (1, odd), pixel and segment strides, offsets, column counts
// 8..64 and leading dimensions wider than the block; C outside the 4×n block must stay.
func TestConvBlockRef(t *testing.T) {
	if !hasFMA {
		t.Skip("no AVX2/FMA on this CPU")
	}
	rng := NewRand(203)
	for trial := range 200 {
		nseg, seglen := 1+rng.IntN(4), 1+rng.IntN(20)
		if trial%10 == 0 {
			nseg, seglen = 1, 1
		}
		lda := 1 + rng.IntN(12)
		segstride := 3*lda + seglen + rng.IntN(6)
		xoff := rng.IntN(6)
		n := 8 * (1 + rng.IntN(8))
		ldb, ldc, coff := n+rng.IntN(5), n+rng.IntN(5), rng.IntN(4)
		K := nseg * seglen
		x := make([]float32, xoff+3*lda+(nseg-1)*segstride+seglen)
		b := make([]float32, (K-1)*ldb+n)
		c := make([]float32, coff+3*ldc+n+5)
		for _, s := range [][]float32{x, b, c} {
			for i := range s {
				s[i] = rng.Uniform(-1, 1)
			}
		}
		orig := slices.Clone(c)
		convBlock(nseg, seglen, segstride, lda, x, xoff, b, ldb, n, c, coff, ldc)
		name := fmt.Sprintf("trial %d nseg%d seglen%d lda%d segstride%d xoff%d n%d ldb%d ldc%d coff%d", trial, nseg, seglen, lda, segstride, xoff, n, ldb, ldc, coff)
		for i := range c {
			r, j := (i-coff)/ldc, (i-coff)%ldc
			if i < coff || r > 3 || j >= n {
				if c[i] != orig[i] {
					t.Fatalf("%s: c[%d] outside the block changed", name, i)
				}
				continue
			}
			s, abs := float64(orig[i]), math.Abs(float64(orig[i]))
			for sg := range nseg {
				for e := range seglen {
					v := float64(x[xoff+r*lda+sg*segstride+e]) * float64(b[(sg*seglen+e)*ldb+j])
					s += v
					abs += math.Abs(v)
				}
			}
			if !refTol(c[i], s, abs, K) {
				t.Fatalf("%s: c[%d][%d] = %v, want %v", name, r, j, c[i], s)
			}
		}
	}
}

// TestVmathKernelsRef calls the AVX-512 transcendental kernels on their own (whole 16-float
// groups, 1 to 40 groups, random offsets into the buffer) against float64 math, and checks
// that nothing past n is written; TestVmathAccuracy and TestVmathLengths cover the range
// and the dispatch with Go tails.
func TestVmathKernelsRef(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512F on this CPU")
	}
	rng := NewRand(205)
	for _, c := range []struct {
		name string
		k    func(x, y *float32, n int)
		ref  func(float64) float64
		ulp  float64
	}{{"exp", expAVX512, math.Exp, 1}, {"sigmoid", sigmoidAVX512, sigmoid64, 2.5}, {"tanh", tanhAVX512, math.Tanh, 2.5}} {
		for range 60 {
			n := 16 * (1 + rng.IntN(40))
			off := rng.IntN(5)
			x := make([]float32, off+n)
			for i := range x {
				x[i] = float32(rng.Norm() * 10)
			}
			y := make([]float32, off+n+16)
			for i := range y {
				y[i] = 42
			}
			c.k(&x[off], &y[off], n)
			for i := range n {
				if d := ulpDiff(y[off+i], c.ref(float64(x[off+i]))); d > c.ulp {
					t.Fatalf("%s n=%d off=%d [%d]: %g for %g, %.2f ulp off", c.name, n, off, i, y[off+i], x[off+i], d)
				}
			}
			for i := range y {
				if (i < off || i >= off+n) && y[i] != 42 {
					t.Fatalf("%s n=%d off=%d: y[%d] outside written", c.name, n, off, i)
				}
			}
		}
	}
	// softmaxRowsAVX512 on rows of 16 to 100 floats (whole groups and masked tails).
	for range 100 {
		n, rows := 16+rng.IntN(85), 1+rng.IntN(4)
		x := make([]float32, rows*n)
		for i := range x {
			x[i] = float32(rng.Norm() * 5)
		}
		y := make([]float32, rows*n+16)
		for i := range y {
			y[i] = 42
		}
		softmaxRowsAVX512(&x[0], &y[0], rows, n)
		for r := range rows {
			row := x[r*n : (r+1)*n]
			m := math.Inf(-1)
			for _, v := range row {
				m = max(m, float64(v))
			}
			s := 0.0
			for _, v := range row {
				s += math.Exp(float64(v) - m)
			}
			for i, v := range row {
				want := math.Exp(float64(v)-m) / s
				if d := math.Abs(float64(y[r*n+i]) - want); d > 1e-6*want+4e-7 {
					t.Fatalf("softmax n=%d rows=%d: y[%d][%d] = %g, want %g", n, rows, r, i, y[r*n+i], want)
				}
			}
		}
		for i := rows * n; i < len(y); i++ {
			if y[i] != 42 {
				t.Fatalf("softmax n=%d rows=%d: wrote past the rows", n, rows)
			}
		}
	}
}
