package layers

// Kernel-level tests against plain reference loops (issue 16: every compute kernel is checked
// against an obviously correct implementation on random shapes, odd sizes and edges). These
// run on every build: the paths this CPU has are toggled on and off, and under -tags purego
// the portable versions run. The amd64 assembly kernels that have no portable twin are in
// kernel_ref_amd64_test.go.

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"unsafe"

	"github.com/kerasgo/kerasgo/tensor"
)

// refTol reports whether got is within the float32 rounding of a sum whose terms have
// absolute values summing to abs, over n terms.
func refTol(got float32, want, abs float64, n int) bool {
	return math.Abs(float64(got)-want) <= 2e-6*abs*math.Sqrt(float64(n)+1)+1e-6
}

// TestMicroKernelsRef calls every micro-kernel function this CPU runs (full, half, fullR,
// halfR of each microKernel and of its small variant; the portable 4×4 under purego) on
// its own: one mr×w tile of C += A·B over k steps, with random depths (1, primes, around a
// slab), A and B strides wider than the tile, and a leading dimension of C wider than the
// tile, whose extra columns and rows around the tile must stay untouched. Reference: a
// float64 triple loop.
func TestMicroKernelsRef(t *testing.T) {
	rng := NewRand(101)
	seen := map[*microKernel]bool{}
	var kns []*microKernel
	for _, kn := range gemmKernels() {
		for ; kn != nil; kn = kn.small {
			if !seen[kn] {
				seen[kn] = true
				kns = append(kns, kn)
			}
		}
	}
	for _, kn := range kns {
		variants := []struct {
			name   string
			f      kernelFunc
			rowsOf bool // R: row i of A at a + i·sa; else step l at a + l·sa
			w      int
		}{{"full", kn.full, false, kn.nr}, {"half", kn.half, false, kn.nr / 2}, {"fullR", kn.fullR, true, kn.nr}, {"halfR", kn.halfR, true, kn.nr / 2}}
		for _, v := range variants {
			if v.f == nil {
				continue
			}
			t.Run(kn.name+"/"+v.name, func(t *testing.T) {
				mr, w := kn.mr, v.w
				for _, k := range []int{1, 2, 3, 5, 7, 16, 17, 31, 64, 127, kn.kc - 1, kn.kc, kn.kc + 3} {
					var sa int
					var a []float32
					if v.rowsOf {
						sa = k + rng.IntN(4)
						a = make([]float32, (mr-1)*sa+k)
					} else {
						sa = mr + rng.IntN(4)
						a = make([]float32, (k-1)*sa+mr)
					}
					sb := w + rng.IntN(5)
					b := make([]float32, (k-1)*sb+w)
					ldc := w + rng.IntN(5)
					// One guard row above and below the tile.
					c := make([]float32, (mr+2)*ldc)
					for _, s := range [][]float32{a, b, c} {
						for i := range s {
							s[i] = rng.Uniform(-1, 1)
						}
					}
					orig := slices.Clone(c)
					v.f(k, &a[0], &b[0], &c[ldc], ldc, sa, sb)
					for i := range mr + 2 {
						for j := range ldc {
							got := c[i*ldc+j]
							if i == 0 || i == mr+1 || j >= w {
								if math.Float32bits(got) != math.Float32bits(orig[i*ldc+j]) {
									t.Fatalf("k=%d sa=%d sb=%d ldc=%d: c[%d][%d] outside the tile changed", k, sa, sb, ldc, i-1, j)
								}
								continue
							}
							r := i - 1
							s, abs := float64(orig[i*ldc+j]), math.Abs(float64(orig[i*ldc+j]))
							for l := range k {
								var av float32
								if v.rowsOf {
									av = a[r*sa+l]
								} else {
									av = a[l*sa+r]
								}
								p := float64(av) * float64(b[l*sb+j])
								s += p
								abs += math.Abs(p)
							}
							if !refTol(got, s, abs, k) {
								t.Fatalf("k=%d sa=%d sb=%d ldc=%d: c[%d][%d] = %v, want %v", k, sa, sb, ldc, r, j, got, s)
							}
						}
					}
				}
			})
		}
	}
}

// TestMaxWindowPathsRef checks maxWindowWide (maxWindow16 + Go tail with AVX-512) and
// maxWindow (maxWindow8 + Go tail with AVX2, all Go otherwise) on every path this CPU has,
// against a plain max loop: random channel counts (1, primes, around 8 and 16), window sizes
// and row strides wider than the window, with NaNs in some windows.
func TestMaxWindowPathsRef(t *testing.T) {
	saved512, savedAsm := hasConv512, maxWindowAsm
	defer func() { hasConv512, maxWindowAsm = saved512, savedAsm }()
	type path struct {
		name       string
		conv512    bool
		asm        bool
		fn         func(d, s []float32, c, kw, kh, rowStride int)
		enabledNow bool
	}
	paths := []path{
		{"wide/avx512", true, savedAsm, maxWindowWide, saved512},
		{"wide/avx2", false, true, maxWindowWide, savedAsm},
		{"wide/go", false, false, maxWindowWide, true},
		{"maxWindow/avx2", false, true, maxWindow, savedAsm},
		{"maxWindow/go", false, false, maxWindow, true},
	}
	rng := NewRand(103)
	cs := []int{1, 2, 3, 7, 8, 9, 13, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 64, 67}
	for _, p := range paths {
		if !p.enabledNow {
			continue
		}
		hasConv512, maxWindowAsm = p.conv512, p.asm
		for trial := range 300 {
			c := cs[trial%len(cs)]
			kh, kw := 1+rng.IntN(5), 1+rng.IntN(5)
			rowStride := kw*c + rng.IntN(3)*c + rng.IntN(3)
			s := make([]float32, (kh-1)*rowStride+kw*c)
			for i := range s {
				s[i] = rng.Uniform(-4, 4)
			}
			if trial%7 == 0 {
				s[rng.IntN(len(s))] = float32(math.NaN())
			}
			d := make([]float32, c+3)
			for i := range d {
				d[i] = 99
			}
			p.fn(d[:c], s, c, kw, kh, rowStride)
			for j := range c {
				want := math.Inf(-1)
				for ky := range kh {
					for kx := range kw {
						want = max(want, float64(s[ky*rowStride+kx*c+j]))
					}
				}
				got := float64(d[j])
				if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && got != want) {
					t.Fatalf("%s c=%d %dx%d stride %d lane %d: %v, want %v", p.name, c, kh, kw, rowStride, j, got, want)
				}
			}
			for j := c; j < len(d); j++ {
				if d[j] != 99 {
					t.Fatalf("%s c=%d: wrote past the window's channels", p.name, c)
				}
			}
		}
	}
}

// TestAffineRowsPathsRef checks affineRows with the AVX-512 kernel (affineRows16, channel
// counts in multiples of 16) and with the Go loop (every channel count, forced for multiples
// of 16 too) against v·scale + shift in float64, on random row and channel counts.
func TestAffineRowsPathsRef(t *testing.T) {
	saved := hasConv512
	defer func() { hasConv512 = saved }()
	rng := NewRand(107)
	for _, on := range []bool{saved, false} {
		hasConv512 = on
		for trial := range 120 {
			c := []int{1, 5, 15, 16, 17, 32, 48, 80, 96, 1 + rng.IntN(100)}[trial%10]
			rows := []int{0, 1, 2, 3, 11, rng.IntN(40)}[trial%6]
			d := make([]float32, rows*c+5)
			scale, shift := make([]float32, c), make([]float32, c)
			for i := range d {
				d[i] = rng.Uniform(-10, 10)
			}
			for j := range scale {
				scale[j], shift[j] = rng.Uniform(-3, 3), rng.Uniform(-3, 3)
			}
			orig := slices.Clone(d)
			affineRows(d[:rows*c], scale, shift)
			for i := range rows * c {
				want := float64(orig[i])*float64(scale[i%c]) + float64(shift[i%c])
				if !refTol(d[i], want, math.Abs(float64(orig[i])*float64(scale[i%c]))+math.Abs(float64(shift[i%c])), 2) {
					t.Fatalf("avx512=%v c=%d rows=%d [%d]: %v, want %v", on, c, rows, i, d[i], want)
				}
			}
			for i := rows * c; i < len(d); i++ {
				if d[i] != orig[i] {
					t.Fatalf("avx512=%v c=%d rows=%d: wrote past the rows", on, c, rows)
				}
			}
		}
	}
}

// TestKernelGradKernelsRef checks the kernels of Conv2D's direct kernel gradient and the
// fused pooling backward on every build against plain loops: convDW9x16 (the AVX-512 kernel
// where it runs) and convDW9x16Go against a float64 sum; sumRows (sumRows16 with AVX-512,
// the 16-wide and general Go loops otherwise, forced too) and sumRows16Go against a plain
// per-lane sum, bit for bit; winArg16 (AVX-512) and winArg16Go against a scan of the window.
// Random position counts (0, 1, odd), strides, offsets, channel counts, and ties and NaNs.
func TestKernelGradKernelsRef(t *testing.T) {
	saved := hasConv512
	defer func() { hasConv512 = saved }()
	rng := NewRand(109)
	t.Run("convDW9x16", func(t *testing.T) {
		for trial := range 150 {
			npos := []int{0, 1, 2, 3, 17, rng.IntN(60)}[trial%6]
			xs, ds := 1+rng.IntN(9), 16*(1+rng.IntN(3))+16*rng.IntN(2)
			var offs, bo [9]int
			for k := range offs {
				offs[k] = rng.IntN(25)
				bo[k] = 4 * offs[k]
			}
			x := make([]float32, max(npos-1, 0)*xs+25)
			dz := make([]float32, max(npos-1, 0)*ds+16)
			for i := range x {
				x[i] = rng.Uniform(-1, 1)
			}
			for i := range dz {
				dz[i] = rng.Uniform(-1, 1)
			}
			acc := make([]float32, 144)
			for i := range acc {
				acc[i] = rng.Uniform(-1, 1)
			}
			got := map[string][]float32{"go": slices.Clone(acc)}
			convDW9x16Go(unsafe.Pointer(&x[0]), unsafe.Pointer(&dz[0]), &got["go"][0], npos, 4*xs, 4*ds, &bo)
			if saved {
				got["asm"] = slices.Clone(acc)
				convDW9x16(&x[0], &dz[0], &got["asm"][0], npos, 4*xs, 4*ds, &bo)
			}
			for name, g := range got {
				for k := range 9 {
					for j := range 16 {
						want, abs := float64(acc[k*16+j]), math.Abs(float64(acc[k*16+j]))
						for p := range npos {
							v := float64(x[p*xs+offs[k]]) * float64(dz[p*ds+j])
							want += v
							abs += math.Abs(v)
						}
						if !refTol(g[k*16+j], want, abs, npos) {
							t.Fatalf("%s trial %d npos %d xs %d ds %d: acc[%d][%d] = %v, want %v", name, trial, npos, xs, ds, k, j, g[k*16+j], want)
						}
					}
				}
			}
		}
	})
	t.Run("sumRows", func(t *testing.T) {
		for _, on := range []bool{saved, false} {
			hasConv512 = on
			for trial := range 150 {
				F := []int{1, 3, 15, 16, 17, 32, 33, 48, 64, 1 + rng.IntN(70)}[trial%10]
				rows := []int{0, 1, 2, 5, rng.IntN(40)}[trial%5]
				d := make([]float32, rows*F+F+7) // a partial row past the last: ignored
				for i := range d {
					d[i] = rng.Uniform(-1e3, 1e3)
				}
				acc := make([]float32, F)
				for i := range acc {
					acc[i] = rng.Uniform(-1, 1)
				}
				want := slices.Clone(acc)
				for r := range rows {
					for j := range F {
						want[j] += d[r*F+j]
					}
				}
				sumRows(acc, d[:rows*F+min(7, F-1)])
				for j := range F {
					if math.Float32bits(acc[j]) != math.Float32bits(want[j]) {
						t.Fatalf("avx512=%v F=%d rows=%d: acc[%d] = %v, want %v", on, F, rows, j, acc[j], want[j])
					}
				}
				if F%16 == 0 {
					// sumRows16Go on one 16-lane column block, rows stride F apart.
					b := 16 * rng.IntN(F/16)
					g := make([]float32, 16)
					sumRows16Go(&g[0], unsafe.Pointer(&d[b]), rows, 4*F)
					for j := range 16 {
						var w float32
						for r := range rows {
							w += d[r*F+b+j]
						}
						if math.Float32bits(g[j]) != math.Float32bits(w) {
							t.Fatalf("sumRows16Go F=%d rows=%d lane %d: %v, want %v", F, rows, j, g[j], w)
						}
					}
				}
			}
		}
		hasConv512 = saved
	})
	t.Run("winArg16", func(t *testing.T) {
		nan := float32(math.NaN())
		for trial := range 400 {
			kh, kw := 1+rng.IntN(5), 1+rng.IntN(5)
			c := 16 * (1 + rng.IntN(3))
			w := kw + rng.IntN(4)
			img := make([]float32, kh*w*c)
			for i := range img {
				img[i] = float32(rng.IntN(4))
				if rng.IntN(25) == 0 {
					img[i] = nan
				}
			}
			b := 16 * rng.IntN(c/16)
			m := make([]float32, 16)
			for lane := range m {
				switch rng.IntN(6) {
				case 0:
					m[lane] = nan
				case 1:
					m[lane] = 9 // in no cell: 0
				default:
					m[lane] = img[(rng.IntN(kh)*w+rng.IntN(kw))*c+b+lane]
				}
			}
			// Every lane starts at -7, so a lane a kernel does not write fails.
			guard := func() *[16]int32 {
				g := new([16]int32)
				for i := range g {
					g[i] = -7
				}
				return g
			}
			got := map[string]*[16]int32{"go": guard()}
			winArg16Go(unsafe.Pointer(&img[b]), &m[0], got["go"], kh, kw, c, w*c)
			if saved {
				got["asm"] = guard()
				winArg16(&img[b], &m[0], got["asm"], kh, kw, c, w*c)
			}
			for name, g := range got {
				for lane := range 16 {
					want := 0
				scan:
					for iy := range kh {
						for ix := range kw {
							v := img[(iy*w+ix)*c+b+lane]
							if v == m[lane] || (math.IsNaN(float64(v)) && math.IsNaN(float64(m[lane]))) {
								want = iy*w*c + ix*c
								break scan
							}
						}
					}
					// MaxPooling2D's scalar window search agrees (the cell it picks is the same).
					if ref := windowArg(img, m[lane], b+lane, 0, kh, 0, kw, w, c, b+lane) - b - lane; ref != want {
						t.Fatalf("trial %d lane %d: windowArg %d, want %d", trial, lane, ref, want)
					}
					if int(g[lane]) != want {
						t.Fatalf("%s trial %d (%dx%d, w %d, c %d, block %d, lane %d, m %v): %d, want %d", name, trial, kh, kw, w, c, b, lane, m[lane], g[lane], want)
					}
				}
			}
		}
	})
}

// refDepthwise64 is a plain float64 depthwise convolution (NHWC, TF padding, dilation) with
// its gradients for a given dL/dz: output channel ci·dm+m reads input channel ci.
func refDepthwise64(x, k, bias []float64, n, h, w, c, dm, kh, kw, sh, sw, dh, dw int, same bool, dz []float64) (z, dx, dk, db []float64, oh, ow int) {
	ekh, ekw := (kh-1)*dh+1, (kw-1)*dw+1
	oh, ow = (h-ekh)/sh+1, (w-ekw)/sw+1
	pt, pl := 0, 0
	if same {
		oh, pt = samePad(h, ekh, sh)
		ow, pl = samePad(w, ekw, sw)
	}
	cd := c * dm
	z = make([]float64, n*oh*ow*cd)
	dx, dk, db = make([]float64, len(x)), make([]float64, len(k)), make([]float64, cd)
	for i := range n {
		for oy := range oh {
			for ox := range ow {
				for j := range cd {
					o := ((i*oh+oy)*ow+ox)*cd + j
					s := 0.0
					if bias != nil {
						s = bias[j]
					}
					var g float64
					if dz != nil {
						g = dz[o]
						db[j] += g
					}
					for ky := range kh {
						iy := oy*sh - pt + ky*dh
						if iy < 0 || iy >= h {
							continue
						}
						for kx := range kw {
							ix := ox*sw - pl + kx*dw
							if ix < 0 || ix >= w {
								continue
							}
							xi := ((i*h+iy)*w+ix)*c + j/dm
							ki := (ky*kw+kx)*cd + j
							s += x[xi] * k[ki]
							if dz != nil {
								dx[xi] += k[ki] * g
								dk[ki] += x[xi] * g
							}
						}
					}
					z[o] = s
				}
			}
		}
	}
	return z, dx, dk, db, oh, ow
}

func f64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// TestDepthwiseConv2DRef checks DepthwiseConv2D's forward kernel and its backward (kernel,
// bias and input gradients) against refDepthwise64 on random shapes: odd and prime sizes, one
// channel and channel counts around the vector widths, depth multipliers 1 to 3, strides,
// dilation, both paddings, windows as large as the image, with and without a bias, linear
// activation (the kernels, not the activation, are under test).
func TestDepthwiseConv2DRef(t *testing.T) {
	rng := NewRand(113)
	for trial := range 80 {
		h, w := 1+rng.IntN(13), 1+rng.IntN(13)
		c := []int{1, 2, 3, 7, 8, 15, 16, 17, 32, 33}[rng.IntN(10)]
		dm := 1 + rng.IntN(3)
		if trial%2 == 0 {
			dm = 1
		}
		kh, kw := 1+rng.IntN(min(h, 5)), 1+rng.IntN(min(w, 5))
		sh, sw, dh, dw := 1+rng.IntN(3), 1+rng.IntN(3), 1, 1
		if trial%4 == 3 {
			sh, sw = 1, 1
			dh, dw = 1+rng.IntN(3), 1+rng.IntN(3)
			if (kh-1)*dh+1 > h {
				dh = 1
			}
			if (kw-1)*dw+1 > w {
				dw = 1
			}
		}
		pad := []string{"valid", "same"}[rng.IntN(2)]
		noBias := trial%5 == 4
		n := 1 + rng.IntN(3)
		name := fmt.Sprintf("%d_%dx%dx%dx%d_dm%d_k%dx%d_s%dx%d_d%dx%d_%s_nobias%v", trial, n, h, w, c, dm, kh, kw, sh, sw, dh, dw, pad, noBias)
		l := NewDepthwiseConv2D([2]int{kh, kw}, DepthwiseConv2DOptions{DepthMultiplier: dm, Strides: [2]int{sh, sw},
			DilationRate: [2]int{dh, dw}, Padding: pad, NoBias: noBias})
		if err := l.Build([]int{h, w, c}, NewRand(uint64(trial))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		randomize(rng, l.kernel, l.bias)
		var bd []float64
		if l.bias != nil {
			bd = f64s(l.bias.Value.Float32s())
		}
		x := uniformTensor(rng, n, h, w, c)
		want, _, _, _, oh, ow := refDepthwise64(f64s(x.Float32s()), f64s(l.kernel.Value.Float32s()), bd, n, h, w, c, dm, kh, kw, sh, sw, dh, dw, pad == "same", nil)
		for _, training := range []bool{false, true} {
			y, err := l.Forward(x, training)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !slices.Equal(y.Shape, []int{n, oh, ow, c * dm}) {
				t.Fatalf("%s: shape %v, want %v", name, y.Shape, []int{n, oh, ow, c * dm})
			}
			checkClose(t, fmt.Sprintf("%s training=%v", name, training), y.Float32s(), want, 1e-5)
		}
		dy := uniformTensor(rng, n, oh, ow, c*dm)
		for _, wt := range l.Weights() {
			clear(gradOf(wt))
		}
		dx, err := l.Backward(dy)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, rdx, rdk, rdb, _, _ := refDepthwise64(f64s(x.Float32s()), f64s(l.kernel.Value.Float32s()), bd, n, h, w, c, dm, kh, kw, sh, sw, dh, dw, pad == "same", f64s(dy.Float32s()))
		checkClose(t, name+" dx", dx.Float32s(), rdx, 1e-5)
		checkClose(t, name+" dkernel", gradOf(l.kernel), rdk, 1e-5)
		if l.bias != nil {
			checkClose(t, name+" dbias", gradOf(l.bias), rdb, 1e-5)
		}
	}
	_ = tensor.Float32
}

// refRNN runs a recurrent layer's cell in float64 from a zero state over x (B, T, D):
// Keras's SimpleRNN (tanh), LSTM (gates i, f, c, o) and GRU (gates z, r, h; reset_after:
// the recurrent bias inside the reset product; else r applied to h before U_h), default
// activations. It returns every step's h (B, T, U) in processing order.
func refRNN(kind rnnKind, resetAfter bool, x, k, u, bias []float64, B, T, D, U int, backwards bool) []float64 {
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	G := map[rnnKind]int{kindLSTM: 4, kindGRU: 3, kindSimple: 1}[kind]
	out := make([]float64, B*T*U)
	for b := range B {
		h, c := make([]float64, U), make([]float64, U)
		for s := range T {
			t := s
			if backwards {
				t = T - 1 - s
			}
			xz, hz := make([]float64, G*U), make([]float64, G*U)
			for j := range G * U {
				for d := range D {
					xz[j] += x[(b*T+t)*D+d] * k[d*G*U+j]
				}
				if bias != nil {
					xz[j] += bias[j]
					if kind == kindGRU && resetAfter {
						hz[j] += bias[G*U+j]
					}
				}
				if kind == kindGRU && !resetAfter && j >= 2*U {
					continue // U_h multiplies r·h, below
				}
				for i := range U {
					hz[j] += h[i] * u[i*G*U+j]
				}
			}
			nh := make([]float64, U)
			for j := range U {
				switch kind {
				case kindSimple:
					nh[j] = math.Tanh(xz[j] + hz[j])
				case kindLSTM:
					ig, fg := sig(xz[j]+hz[j]), sig(xz[U+j]+hz[U+j])
					cc, og := math.Tanh(xz[2*U+j]+hz[2*U+j]), sig(xz[3*U+j]+hz[3*U+j])
					c[j] = fg*c[j] + ig*cc
					nh[j] = og * math.Tanh(c[j])
				case kindGRU:
					z, r := sig(xz[j]+hz[j]), sig(xz[U+j]+hz[U+j])
					var hh float64
					if resetAfter {
						hh = math.Tanh(xz[2*U+j] + r*hz[2*U+j])
					} else {
						s := xz[2*U+j]
						for i := range U {
							s += sig(xz[U+i]+hz[U+i]) * h[i] * u[i*G*U+2*U+j]
						}
						hh = math.Tanh(s)
					}
					nh[j] = z*h[j] + (1-z)*hh
				}
			}
			h = nh
			copy(out[(b*T+s)*U:], h)
		}
	}
	return out
}

// TestRNNRef checks SimpleRNN, LSTM and GRU (both reset_after settings) against refRNN on
// random odd sizes (batch, steps, features and units from 1, units past the 16- and 32-lane
// widths), forwards and go_backwards, with and without a bias: the fused inference path
// (input projections as one GEMM, h·U through the packed kernel, the gate pass) and the
// step-by-step training path.
func TestRNNRef(t *testing.T) {
	rng := NewRand(117)
	for trial := range 36 {
		B, T, D, U := 1+rng.IntN(4), 1+rng.IntN(6), 1+rng.IntN(9), []int{1, 2, 5, 16, 17, 33, 1 + rng.IntN(40)}[trial%7]
		back, noBias := trial%3 == 2, trial%5 == 4
		var l *rnn
		resetAfter := true
		switch trial % 4 {
		case 0:
			l = &NewSimpleRNN(U, SimpleRNNOptions{ReturnSequences: !back, GoBackwards: back, NoBias: noBias}).rnn
		case 1:
			l = &NewLSTM(U, LSTMOptions{ReturnSequences: !back, GoBackwards: back, NoBias: noBias}).rnn
		default:
			resetAfter = trial%4 == 2
			l = &NewGRU(U, GRUOptions{ReturnSequences: !back, GoBackwards: back, NoBias: noBias, ResetBefore: !resetAfter}).rnn
		}
		name := fmt.Sprintf("%d_%s_B%dT%dD%dU%d_back%v_nobias%v_resetAfter%v", trial, l.class, B, T, D, U, back, noBias, resetAfter)
		if err := l.Build([]int{T, D}, NewRand(uint64(trial))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, w := range []*Weight{l.kernel, l.recKernel, l.bb} {
			if w != nil {
				for i := range w.Value.Float32s() {
					w.Value.Float32s()[i] = rng.Uniform(-0.6, 0.6)
				}
			}
		}
		var bias []float64
		if l.bb != nil {
			bias = f64s(l.bb.Value.Float32s())
		}
		x := randTensor(rng, []int{B, T, D}, -1.5, 1.5)
		all := refRNN(l.kind, resetAfter, f64s(x.Float32s()), f64s(l.kernel.Value.Float32s()), f64s(l.recKernel.Value.Float32s()), bias, B, T, D, U, back)
		want := all
		if back { // the last state only
			want = make([]float64, B*U)
			for b := range B {
				copy(want[b*U:], all[(b*T+T-1)*U:(b*T+T)*U])
			}
		}
		for _, training := range []bool{false, true} {
			y, err := l.Forward(x, training)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkClose(t, fmt.Sprintf("%s training=%v", name, training), y.Float32s(), want, 2e-5)
		}
	}
}

// TestForwardFusedRef checks the fused Conv2D → [BatchNormalization] → MaxPooling2D →
// [BatchNormalization] inference (ForwardFused: direct kernels into a band, affineRows,
// maxWindowWide) against a float64 chain (convolution, activation, per-channel scale and
// shift from the moving statistics, window maxima) on random shapes: kernel sizes 1 to 5,
// strides, both convolution paddings, filter counts around 16 and 32, pooling windows 1 to 4
// with strides up to one more, images whose last rows and columns no window reads.
func TestForwardFusedRef(t *testing.T) {
	if !hasConv512 {
		t.Skip("AVX-512 direct kernels off: ForwardFused declines (TestForwardFusedDeclines)")
	}
	rng := NewRand(119)
	ran := 0
	for trial := range 60 {
		k, s := []int{1, 2, 3, 5}[rng.IntN(4)], 1+rng.IntN(2)
		same := rng.IntN(2) == 0
		pad := map[bool]string{false: "valid", true: "same"}[same]
		h, w, c := k+1+rng.IntN(13), k+1+rng.IntN(13), 1+rng.IntN(6)
		f := []int{1, 3, 15, 16, 17, 31, 32, 33, 48}[rng.IntN(9)]
		act := []string{"relu", "linear", "tanh"}[trial%3]
		ph, pw := 1+rng.IntN(4), 1+rng.IntN(4)
		psh, psw := ph+rng.IntN(2), pw+rng.IntN(2)
		bn1, bn2 := trial%4 != 0, trial%3 != 1
		n := 1 + rng.IntN(3)
		name := fmt.Sprintf("%d_%dx%dx%dx%d_k%d_s%d_%s_f%d_%s_pool%dx%d/%dx%d_bn%v%v", trial, n, h, w, c, k, s, pad, f, act, ph, pw, psh, psw, bn1, bn2)
		conv := NewConv2D(f, [2]int{k, k}, Conv2DOptions{Strides: [2]int{s, s}, Padding: pad, Activation: act, NoBias: trial%5 == 4})
		if err := conv.Build([]int{h, w, c}, NewRand(uint64(trial))); err != nil {
			t.Fatal(err)
		}
		randomize(rng, conv.kernel, conv.bias)
		cur, _ := conv.OutputShape([]int{h, w, c})
		if cur[0] < ph || cur[1] < pw {
			continue
		}
		ls := []Layer{conv}
		var bns []*BatchNormalization
		addBN := func() {
			bn := NewBatchNormalization(BatchNormOptions{Epsilon: 1e-3})
			if err := bn.Build(cur, NewRand(3)); err != nil {
				t.Fatal(err)
			}
			randomize(rng, bn.gamma, bn.beta, bn.mean)
			for i := range bn.variance.Value.Float32s() {
				bn.variance.Value.Float32s()[i] = rng.Uniform(0.05, 2)
			}
			ls = append(ls, bn)
			bns = append(bns, bn)
		}
		bnAt := func(bn *BatchNormalization, v []float64) {
			g, b := bn.gamma.Value.Float32s(), bn.beta.Value.Float32s()
			mm, mv := bn.mean.Value.Float32s(), bn.variance.Value.Float32s()
			for i := range v {
				j := i % f
				v[i] = float64(g[j])*(v[i]-float64(mm[j]))/math.Sqrt(float64(mv[j])+1e-3) + float64(b[j])
			}
		}
		if bn1 {
			addBN()
		}
		pool := NewMaxPooling2D([2]int{ph, pw}, MaxPoolingOptions{Strides: [2]int{psh, psw}})
		if err := pool.Build(cur, nil); err != nil {
			t.Fatal(err)
		}
		ls = append(ls, pool)
		if bn2 {
			cur, _ = pool.OutputShape(cur)
			addBN()
		}
		x := uniformTensor(rng, n, h, w, c)
		var bd []float32
		if conv.bias != nil {
			bd = conv.bias.Value.Float32s()
		}
		z, oh, ow := refConv2D(x.Float32s(), n, h, w, c, conv.kernel.Value.Float32s(), k, k, f, bd, s, s, same)
		for i, v := range z {
			switch act {
			case "relu":
				z[i] = max(v, 0)
			case "tanh":
				z[i] = math.Tanh(v)
			}
		}
		if bn1 {
			bnAt(bns[0], z)
		}
		poh, pow := (oh-ph)/psh+1, (ow-pw)/psw+1
		want := make([]float64, n*poh*pow*f)
		for i := range n {
			for py := range poh {
				for px := range pow {
					for j := range f {
						m := math.Inf(-1)
						for ky := range ph {
							for kx := range pw {
								m = max(m, z[((i*oh+py*psh+ky)*ow+px*psw+kx)*f+j])
							}
						}
						want[((i*poh+py)*pow+px)*f+j] = m
					}
				}
			}
		}
		if bn2 {
			bnAt(bns[len(bns)-1], want)
		}
		got, used, err := ForwardFused(ls, x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if used != len(ls) {
			t.Fatalf("%s: ForwardFused consumed %d of %d layers", name, used, len(ls))
		}
		checkClose(t, name, got.Float32s(), want, 1e-4)
		ran++
	}
	if ran < 40 {
		t.Fatalf("only %d cases ran", ran)
	}
}
