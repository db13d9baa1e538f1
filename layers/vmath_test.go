package layers

import (
	"math"
	"testing"
)

// ulpDiff is the distance in float32 ulps between got and the float64 reference want
// rounded to float32 (0 when both are the same NaN/Inf class).
func ulpDiff(got float32, want float64) float64 {
	w := float32(want)
	switch {
	case math.IsNaN(want):
		if got != got {
			return 0
		}
		return math.Inf(1)
	case got == w:
		return 0
	case math.IsInf(float64(w), 0) || math.IsInf(float64(got), 0):
		return math.Inf(1)
	}
	// The float32 ulp at want (the subnormal spacing below the normal range).
	e := math.Abs(want)
	ulp := math.Ldexp(1, -149)
	if e >= math.Ldexp(1, -126) {
		_, ex := math.Frexp(e)
		ulp = math.Ldexp(1, ex-24)
	}
	return math.Abs(float64(got)-want) / ulp
}

// vmathSweep is the inputs of the accuracy tests: every 97th float32 bit pattern (both
// signs, subnormals, huge values), a fine grid over the interesting range, and the special
// values.
func vmathSweep() []float32 {
	var xs []float32
	for b := uint64(0); b < 1<<32; b += 251 {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	for x := -110.0; x <= 110; x += 1.0 / 1024 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 88.72283, 88.72284, -87.33654, -103.97, -103.98,
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 0.625, -0.625, 0.62499994)
	return xs
}

func checkVmath(t *testing.T, kernels, name string, f func(x, y []float32), ref func(float64) float64, bound float64) {
	t.Helper()
	xs := vmathSweep()
	ys := make([]float32, len(xs))
	f(xs, ys)
	worst, at := 0.0, float32(0)
	for i, x := range xs {
		want := ref(float64(x))
		d := ulpDiff(ys[i], want)
		if math.IsInf(d, 1) {
			// exp's result near the overflow threshold may round either way; nothing else may
			// disagree on Inf/NaN.
			t.Fatalf("%s(%g) = %g, want %g", name, x, ys[i], want)
		}
		// Subnormal results: the absolute error counts (the ulp is 2^-149 there).
		if d > worst {
			worst, at = d, x
		}
	}
	t.Logf("%s (%s): %d inputs, max error %.3f ulp at %g", name, kernels, len(xs), worst, at)
	if worst > bound {
		t.Errorf("%s: max error %.3f ulp at x=%g, bound %g", name, worst, at, bound)
	}
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestVmathAccuracy(t *testing.T) {
	kernels := map[string][3]func(x, y []float32){"go": {expSliceGo, sigmoidSliceGo, tanhSliceGo}}
	kernels[vmathKernels] = [3]func(x, y []float32){expSlice, sigmoidSlice, tanhSlice} // "go" again without AVX-512
	for kn, fs := range kernels {
		t.Run(kn, func(t *testing.T) {
			checkVmath(t, kn, "exp", fs[0], math.Exp, 1)
			checkVmath(t, kn, "sigmoid", fs[1], sigmoid64, 2.5)
			checkVmath(t, kn, "tanh", fs[2], math.Tanh, 2.5)
		})
	}
}

// TestVmathSpecial pins the edge behaviour: overflow, underflow to subnormals and zero,
// infinities, NaN and signed zero.
func TestVmathSpecial(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	one := func(f func(x, y []float32), x float32) float32 {
		y := []float32{0}
		f([]float32{x}, y)
		return y[0]
	}
	for _, c := range []struct {
		f    func(x, y []float32)
		name string
		x    float32
		want float32
	}{
		{expSlice, "exp", inf, inf}, {expSlice, "exp", -inf, 0}, {expSlice, "exp", 89, inf},
		{expSlice, "exp", -104, 0}, {expSlice, "exp", 0, 1},
		{expSlice, "exp", -103.2789, math.Float32frombits(1)}, // ≈ 2^-149, the least subnormal
		{sigmoidSlice, "sigmoid", inf, 1}, {sigmoidSlice, "sigmoid", -inf, 0}, {sigmoidSlice, "sigmoid", 0, 0.5},
		{sigmoidSlice, "sigmoid", 200, 1}, {sigmoidSlice, "sigmoid", -200, 0},
		{tanhSlice, "tanh", inf, 1}, {tanhSlice, "tanh", -inf, -1}, {tanhSlice, "tanh", 50, 1}, {tanhSlice, "tanh", -50, -1},
	} {
		if got := one(c.f, c.x); got != c.want {
			t.Errorf("%s(%g) = %g, want %g", c.name, c.x, got, c.want)
		}
	}
	for _, f := range []func(x, y []float32){expSlice, sigmoidSlice, tanhSlice} {
		if got := one(f, nan); got == got {
			t.Errorf("NaN in gave %g", got)
		}
	}
	if got := one(tanhSlice, float32(math.Copysign(0, -1))); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("tanh(-0) = %g, want -0", got)
	}
	if got := one(expSlice, -100); float64(got) < 3.7e-44 || float64(got) > 3.8e-44 {
		t.Errorf("exp(-100) = %g, want a subnormal ≈3.72e-44", got)
	}
}

// TestVmathLengths runs the slice kernels over every length up to 70 at odd offsets and
// compares each element with the scalar functions: the vector kernels' tails and
// misaligned starts.
func TestVmathLengths(t *testing.T) {
	rng := NewRand(5)
	buf := make([]float32, 80)
	for i := range buf {
		buf[i] = float32(rng.Norm() * 8)
	}
	for n := 0; n <= 70; n++ {
		for off := 0; off < 3; off++ {
			x := buf[off : off+n]
			for _, c := range []struct {
				f   func(x, y []float32)
				ref func(float64) float64
				ulp float64
			}{{expSlice, math.Exp, 1}, {sigmoidSlice, sigmoid64, 2.5}, {tanhSlice, math.Tanh, 2.5}} {
				y := make([]float32, n+1)
				y[n] = 42
				c.f(x, y[:n])
				for i := range n {
					if d := ulpDiff(y[i], c.ref(float64(x[i]))); d > c.ulp {
						t.Fatalf("n=%d off=%d i=%d: %g off by %.2f ulp", n, off, i, y[i], d)
					}
				}
				if y[n] != 42 {
					t.Fatalf("n=%d: wrote past the end", n)
				}
			}
			// In place.
			y := append([]float32(nil), x...)
			expSlice(y, y)
			for i := range n {
				if d := ulpDiff(y[i], math.Exp(float64(x[i]))); d > 1 {
					t.Fatalf("in place n=%d i=%d: %.2f ulp", n, i, d)
				}
			}
		}
	}
}

func BenchmarkVmath(b *testing.B) {
	x := make([]float32, 8192)
	y := make([]float32, len(x))
	rng := NewRand(1)
	for i := range x {
		x[i] = float32(rng.Norm() * 4)
	}
	for _, c := range []struct {
		name string
		f    func(x, y []float32)
	}{{"exp", expSlice}, {"sigmoid", sigmoidSlice}, {"tanh", tanhSlice}, {"expGo", expSliceGo},
		{"sigmoidGo", sigmoidSliceGo}, {"tanhGo", tanhSliceGo},
		{"sigmoid64", func(x, y []float32) {
			for i, v := range x {
				y[i] = float32(sigmoid64(float64(v)))
			}
		}}, {"tanh64", func(x, y []float32) {
			for i, v := range x {
				y[i] = float32(math.Tanh(float64(v)))
			}
		}}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				c.f(x, y)
			}
		})
	}
}

// TestSoftmaxRows compares softmaxF (the AVX-512 row kernel where it runs) with a float64
// softmax over rows of every width up to 70 (whole 16-float groups and masked tails), with
// large, tiny and masked (-1e9) scores, out of place and in place.
func TestSoftmaxRows(t *testing.T) {
	rng := NewRand(11)
	for n := 1; n <= 70; n++ {
		for _, rows := range []int{1, 3} {
			x := make([]float32, rows*n)
			for i := range x {
				switch rng.IntN(10) {
				case 0:
					x[i] = -1e9
				case 1:
					x[i] = float32(rng.Norm() * 40)
				default:
					x[i] = float32(rng.Norm() * 3)
				}
			}
			want := make([]float64, len(x))
			for r := range rows {
				row := x[r*n : (r+1)*n]
				m := math.Inf(-1)
				for _, v := range row {
					m = math.Max(m, float64(v))
				}
				s := 0.0
				for _, v := range row {
					s += math.Exp(float64(v) - m)
				}
				for i, v := range row {
					want[r*n+i] = math.Exp(float64(v)-m) / s
				}
			}
			y := make([]float32, len(x)+1)
			y[len(x)] = 42
			softmaxF(x, y[:len(x)], n)
			in := append([]float32(nil), x...)
			softmaxF(in, in, n)
			for i, w := range want {
				if d := math.Abs(float64(y[i]) - w); d > 1e-6*w+1e-30 && d > 4e-7 {
					t.Fatalf("n=%d rows=%d: y[%d] = %g, want %g", n, rows, i, y[i], w)
				}
				if in[i] != y[i] {
					t.Fatalf("n=%d: in place y[%d] = %g, out of place %g", n, i, in[i], y[i])
				}
			}
			if y[len(x)] != 42 {
				t.Fatalf("n=%d rows=%d: wrote past the end", n, rows)
			}
		}
	}
}
