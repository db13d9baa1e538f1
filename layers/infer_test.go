package layers

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// Tests of the inference-mode fast paths (Conv2D, MaxPooling2D, BatchNormalization, Dense)
// against plain float64 reference implementations, over random shapes with odd sizes and
// edges, and of their buffer reuse across calls.

func uniformTensor(rng *Rand, shape ...int) *tensor.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Uniform(-1, 1)
	}
	return tensor.MustFromFloat32(shape, x)
}

func randomize(rng *Rand, ws ...*Weight) {
	for _, w := range ws {
		if w == nil {
			continue
		}
		for i := range w.Value.Float32s() {
			w.Value.Float32s()[i] = rng.Uniform(-1, 1)
		}
	}
}

// samePad is TensorFlow's "same" padding before the input (top or left).
func samePad(in, k, s int) (out, before int) {
	out = (in + s - 1) / s
	return out, max((out-1)*s+k-in, 0) / 2
}

// refConv2D is a direct float64 convolution (NHWC, TF padding) without activation.
func refConv2D(x []float32, n, h, w, c int, k []float32, kh, kw, f int, b []float32, sh, sw int, same bool) ([]float64, int, int) {
	oh, ow, pt, pl := (h-kh)/sh+1, (w-kw)/sw+1, 0, 0
	if same {
		oh, pt = samePad(h, kh, sh)
		ow, pl = samePad(w, kw, sw)
	}
	out := make([]float64, n*oh*ow*f)
	for i := range n {
		for oy := range oh {
			for ox := range ow {
				for o := range f {
					s := 0.0
					if b != nil {
						s = float64(b[o])
					}
					for ky := range kh {
						for kx := range kw {
							iy, ix := oy*sh-pt+ky, ox*sw-pl+kx
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							for ci := range c {
								s += float64(x[((i*h+iy)*w+ix)*c+ci]) * float64(k[((ky*kw+kx)*c+ci)*f+o])
							}
						}
					}
					out[((i*oh+oy)*ow+ox)*f+o] = s
				}
			}
		}
	}
	return out, oh, ow
}

// refActivate applies a few activations in float64 (last axis f for softmax).
func refActivate(z []float64, act string, f int) []float64 {
	y := make([]float64, len(z))
	for r := 0; r < len(z); r += f {
		row := z[r : r+f]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = max(mx, v)
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(v - mx)
		}
		for j, v := range row {
			switch act {
			case "relu":
				y[r+j] = max(v, 0)
			case "linear":
				y[r+j] = v
			case "selu":
				const a, sc = 1.6732632423543772, 1.0507009873554805
				if v > 0 {
					y[r+j] = sc * v
				} else {
					y[r+j] = sc * a * (math.Exp(v) - 1)
				}
			case "softmax":
				y[r+j] = math.Exp(v-mx) / sum
			}
		}
	}
	return y
}

func checkClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i, v := range got {
		if math.IsNaN(want[i]) {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("%s: [%d] = %g, want NaN", what, i, v)
			}
			continue
		}
		if d := math.Abs(float64(v) - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(float64(v)) {
			t.Fatalf("%s: [%d] = %g, want %g", what, i, v, want[i])
		}
	}
}

func TestConv2DInferenceMatchesReference(t *testing.T) {
	asm := maxWindowAsm
	defer func() { maxWindowAsm = asm }()
	for _, useAsm := range []bool{asm, false} {
		maxWindowAsm = useAsm
		t.Run(fmt.Sprintf("asm=%v", useAsm), testConv2DInference)
	}
}

// TestReluTo8 checks the AVX ReLU (reluF with reluTo8) bit for bit against reluGo, into another
// slice and in place, on lengths around the 8-float group and on signed zeros and NaNs.
func TestReluTo8(t *testing.T) {
	if !maxWindowAsm {
		t.Skip("no AVX2")
	}
	rng := NewRand(17)
	for n := 1; n <= 40; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = rng.Uniform(-1, 1)
		}
		x[rng.IntN(n)] = float32(math.Copysign(0, -1))
		x[rng.IntN(n)] = float32(math.NaN())
		x[rng.IntN(n)] = -float32(math.NaN())
		want := make([]float32, n)
		reluGo(x, want)
		to := make([]float32, n)
		reluF(x, to, 0) // into another slice
		reluF(x, x, 0)  // in place
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(want[i]) || math.Float32bits(to[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d [%d]: %x in place, %x into another slice, want %x", n, i,
					math.Float32bits(x[i]), math.Float32bits(to[i]), math.Float32bits(want[i]))
			}
		}
	}
}

func testConv2DInference(t *testing.T) {
	rng := NewRand(11)
	acts := []string{"relu", "linear", "selu", "softmax"}
	for tc := range 120 {
		h, w, c := 1+rng.IntN(13), 1+rng.IntN(13), 1+rng.IntN(5)
		kh, kw := 1+rng.IntN(min(h, 4)), 1+rng.IntN(min(w, 4))
		fs := []int{8, 16, 24, 32, 3, 5, 1}
		f := fs[rng.IntN(len(fs))]
		sh, sw := 1+rng.IntN(3), 1+rng.IntN(3)
		same := rng.IntN(2) == 0
		act := acts[rng.IntN(len(acts))]
		noBias := rng.IntN(4) == 0
		n := 1 + rng.IntN(9)
		pad := "valid"
		if same {
			pad = "same"
		}
		name := fmt.Sprintf("case%d_%dx%dx%d_k%dx%d_f%d_s%dx%d_%s_%s_nobias%v_n%d", tc, h, w, c, kh, kw, f, sh, sw, pad, act, noBias, n)
		l := NewConv2D(f, [2]int{kh, kw}, Conv2DOptions{Strides: [2]int{sh, sw}, Padding: pad, Activation: act, NoBias: noBias})
		if err := l.Build([]int{h, w, c}, rng); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		randomize(rng, l.kernel, l.bias)
		var bd []float32
		if l.bias != nil {
			bd = l.bias.Value.Float32s()
		}
		// Two calls with different inputs: the second reuses the first's buffers.
		for call := range 2 {
			x := uniformTensor(rng, n, h, w, c)
			z, _, _ := refConv2D(x.Float32s(), n, h, w, c, l.kernel.Value.Float32s(), kh, kw, f, bd, sh, sw, same)
			want := refActivate(z, act, f)
			y, err := l.Forward(x, false)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkClose(t, fmt.Sprintf("%s call %d", name, call), y.Float32s(), want, 2e-5)
			yt, err := l.Forward(x, true) // the training path stays right too
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkClose(t, name+" training", yt.Float32s(), want, 2e-5)
		}
	}
}

// TestConv2DInferenceBorders runs the direct kernel's edge cases: widths around multiples of
// the four-position block, with and without padding, on a filter count it handles.
func TestConv2DInferenceBorders(t *testing.T) {
	rng := NewRand(12)
	// 1..13 around the block of four; 67 and 70 fill the gather buffer (64 rows) in a padded row.
	for _, w := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 67, 70} {
		for _, pad := range []string{"valid", "same"} {
			for _, sw := range []int{1, 2} {
				h, c, f, k := 5, 3, 16, min(3, w)
				l := NewConv2D(f, [2]int{3, k}, Conv2DOptions{Strides: [2]int{1, sw}, Padding: pad, Activation: "relu"})
				if err := l.Build([]int{h, w, c}, rng); err != nil {
					t.Fatal(err)
				}
				randomize(rng, l.kernel, l.bias)
				x := uniformTensor(rng, 3, h, w, c)
				z, _, _ := refConv2D(x.Float32s(), 3, h, w, c, l.kernel.Value.Float32s(), 3, k, f, l.bias.Value.Float32s(), 1, sw, pad == "same")
				y, err := l.Forward(x, false)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, fmt.Sprintf("w=%d %s sw=%d", w, pad, sw), y.Float32s(), refActivate(z, "relu", f), 2e-5)
			}
		}
	}
}

// refMaxPool is a plain max pooling (NHWC, TF padding: padded cells ignored).
func refMaxPool(x []float32, n, h, w, c, kh, kw, sh, sw int, same bool) []float64 {
	oh, ow, pt, pl := (h-kh)/sh+1, (w-kw)/sw+1, 0, 0
	if same {
		oh, pt = samePad(h, kh, sh)
		ow, pl = samePad(w, kw, sw)
	}
	out := make([]float64, n*oh*ow*c)
	for i := range n {
		for oy := range oh {
			for ox := range ow {
				for ci := range c {
					m := math.Inf(-1)
					for ky := range kh {
						for kx := range kw {
							iy, ix := oy*sh-pt+ky, ox*sw-pl+kx
							if iy >= 0 && iy < h && ix >= 0 && ix < w {
								m = max(m, float64(x[((i*h+iy)*w+ix)*c+ci])) // NaN stays NaN
							}
						}
					}
					out[((i*oh+oy)*ow+ox)*c+ci] = m
				}
			}
		}
	}
	return out
}

func TestMaxPooling2DInferenceMatchesReference(t *testing.T) {
	asm := maxWindowAsm
	defer func() { maxWindowAsm = asm }()
	for _, useAsm := range []bool{asm, false} {
		maxWindowAsm = useAsm
		t.Run(fmt.Sprintf("asm=%v", useAsm), testMaxPoolingInference)
	}
}

func testMaxPoolingInference(t *testing.T) {
	rng := NewRand(13)
	for tc := range 200 {
		h, w, c := 1+rng.IntN(12), 1+rng.IntN(12), 1+rng.IntN(20)
		kh, kw := 1+rng.IntN(min(h, 4)), 1+rng.IntN(min(w, 4))
		sh, sw := 1+rng.IntN(4), 1+rng.IntN(4)
		if tc%3 == 0 { // the 2x2 stride 2 fast path, odd and even sizes
			h, w, kh, kw, sh, sw = max(h, 2), max(w, 2), 2, 2, 2, 2
		}
		same := rng.IntN(3) == 0
		pad := "valid"
		if same {
			pad = "same"
		}
		n := 1 + rng.IntN(6)
		name := fmt.Sprintf("case%d_%dx%dx%d_k%dx%d_s%dx%d_%s_n%d", tc, h, w, c, kh, kw, sh, sw, pad, n)
		l := NewMaxPooling2D([2]int{kh, kw}, MaxPoolingOptions{Strides: [2]int{sh, sw}, Padding: pad})
		if err := l.Build([]int{h, w, c}, rng); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for call := range 3 {
			x := uniformTensor(rng, n, h, w, c)
			if call == 2 { // NaNs: a window holding one gives NaN
				for range 1 + rng.IntN(3) {
					x.Float32s()[rng.IntN(x.Len())] = float32(math.NaN())
				}
			}
			want := refMaxPool(x.Float32s(), n, h, w, c, kh, kw, sh, sw, same)
			y, err := l.Forward(x, false)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkClose(t, fmt.Sprintf("%s call %d", name, call), y.Float32s(), want, 0)
			if call == 2 {
				continue // the training path's first-maximum rule skips NaNs after the first cell
			}
			yt, err := l.Forward(x, true)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkClose(t, name+" training", yt.Float32s(), want, 0)
		}
	}
}

func TestBatchNormInferenceMatchesReference(t *testing.T) {
	rng := NewRand(14)
	for tc := range 60 {
		rank := 1 + rng.IntN(3)
		in := make([]int, rank)
		for i := range in {
			in[i] = 1 + rng.IntN(7)
		}
		axis := -1
		if rng.IntN(2) == 0 {
			axis = rng.IntN(rank) + 1 // counting the batch dimension, as Keras does
		}
		l := NewBatchNormalization(BatchNormOptions{Epsilon: 0.001 * float64(1+rng.IntN(3)), NoCenter: tc%5 == 1, NoScale: tc%5 == 2})
		l.SetAxis(axis)
		if err := l.Build(in, rng); err != nil {
			t.Fatal(err)
		}
		randomize(rng, l.gamma, l.beta, l.mean)
		for i := range l.variance.Value.Float32s() {
			l.variance.Value.Float32s()[i] = rng.Uniform(0.1, 2)
		}
		ax := l.ax
		name := fmt.Sprintf("case%d_in%v_axis%d", tc, in, ax)
		for call := range 2 {
			n := 1 + rng.IntN(5)
			x := uniformTensor(rng, append([]int{n}, in...)...)
			inner := 1
			for _, d := range in[ax+1:] {
				inner *= d
			}
			want := make([]float64, x.Len())
			for e, v := range x.Float32s() {
				j := (e / inner) % in[ax]
				g, b := 1.0, 0.0
				if l.gamma != nil {
					g = float64(l.gamma.Value.Float32s()[j])
				}
				if l.beta != nil {
					b = float64(l.beta.Value.Float32s()[j])
				}
				m, s2 := float64(l.mean.Value.Float32s()[j]), float64(l.variance.Value.Float32s()[j])
				want[e] = (float64(v)-m)/math.Sqrt(s2+l.eps)*g + b
			}
			y, err := l.Forward(x, false)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkClose(t, fmt.Sprintf("%s call %d", name, call), y.Float32s(), want, 1e-5)
		}
	}
}

func TestDenseInferenceMatchesReference(t *testing.T) {
	rng := NewRand(15)
	for tc := range 40 {
		rows, k, units := 1+rng.IntN(70), 1+rng.IntN(40), 1+rng.IntN(40)
		act := []string{"relu", "linear", "selu", "softmax"}[tc%4]
		l := NewDense(units, DenseOptions{Activation: act, NoBias: tc%7 == 3})
		if err := l.Build([]int{k}, rng); err != nil {
			t.Fatal(err)
		}
		randomize(rng, l.kernel, l.bias)
		kd := l.kernel.Value.Float32s()
		for call := range 2 {
			x := uniformTensor(rng, rows, k)
			z := make([]float64, rows*units)
			for r := range rows {
				for u := range units {
					s := 0.0
					if l.bias != nil {
						s = float64(l.bias.Value.Float32s()[u])
					}
					for i := range k {
						s += float64(x.Float32s()[r*k+i]) * float64(kd[i*units+u])
					}
					z[r*units+u] = s
				}
			}
			y, err := l.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, fmt.Sprintf("case%d %dx%d->%d %s call %d", tc, rows, k, units, act, call), y.Float32s(), refActivate(z, act, units), 2e-5)
		}
	}
}

// TestInferenceForwardAllocations checks that warm inference calls of the fast-path layers
// with a Workspace (Infer) allocate no tensor data (only small headers), that plain
// Forward(x, false) returns a result the caller owns (a second call does not overwrite
// it), and that a Workspace's result is its reused buffer.
func TestInferenceForwardAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	rng := NewRand(16)
	conv := NewConv2D(16, [2]int{3, 3}, Conv2DOptions{Activation: "relu"})
	pool := NewMaxPooling2D([2]int{2, 2})
	bn := NewBatchNormalization()
	dense := NewDense(32, DenseOptions{Activation: "relu"})
	for _, c := range []struct {
		l  Layer
		in []int
	}{{conv, []int{20, 20, 3}}, {pool, []int{20, 20, 16}}, {bn, []int{9, 9, 16}}, {dense, []int{300}}} {
		if err := c.l.Build(c.in, rng); err != nil {
			t.Fatal(err)
		}
		x := uniformTensor(rng, append([]int{64}, c.in...)...)
		y1, err := c.l.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		y2, err := c.l.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		if &y1.Float32s()[0] == &y2.Float32s()[0] {
			t.Errorf("%s: two plain inference Forwards returned one buffer", c.l.Class())
		}
		ws := NewWorkspace()
		w1, err := Infer(ws, c.l, x)
		if err != nil {
			t.Fatal(err)
		}
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		const runs = 20
		for range runs {
			w2, err := Infer(ws, c.l, x)
			if err != nil {
				t.Fatal(err)
			}
			if &w1.Float32s()[0] != &w2.Float32s()[0] || !slices.Equal(w2.Float32s(), y1.Float32s()) {
				t.Fatalf("%s: Infer did not reuse its workspace buffer or differs from Forward", c.l.Class())
			}
		}
		runtime.ReadMemStats(&ms1)
		if per := (ms1.TotalAlloc - ms0.TotalAlloc) / runs; per > 4096 {
			t.Errorf("%s: %d bytes allocated per warm inference Forward", c.l.Class(), per)
		}
	}
}
