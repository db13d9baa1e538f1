package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// refConv2DLayer is a plain NHWC convolution (TensorFlow's padding rule) with bias and the
// layer's activation: the reference the fast paths are checked against.
func refConv2DLayer(l *Conv2D, x []float32, n int) []float32 {
	g := l.g
	F := l.filters
	kd := l.kernel.Value.Float32s()
	out := make([]float32, n*g.oh*g.ow*F)
	for i := 0; i < n; i++ {
		for oy := 0; oy < g.oh; oy++ {
			for ox := 0; ox < g.ow; ox++ {
				for f := 0; f < F; f++ {
					var s float64
					if l.bias != nil {
						s = float64(l.bias.Value.Float32s()[f])
					}
					for ky := 0; ky < g.kh; ky++ {
						iy := oy*g.sh - g.pt + ky*g.dh
						if iy < 0 || iy >= g.h {
							continue
						}
						for kx := 0; kx < g.kw; kx++ {
							ix := ox*g.sw - g.pl + kx*g.dw
							if ix < 0 || ix >= g.w {
								continue
							}
							for c := 0; c < g.c; c++ {
								s += float64(x[((i*g.h+iy)*g.w+ix)*g.c+c]) * float64(kd[((ky*g.kw+kx)*g.c+c)*F+f])
							}
						}
					}
					out[((i*g.oh+oy)*g.ow+ox)*F+f] = float32(s)
				}
			}
		}
	}
	l.act.apply(out, out, F)
	return out
}

func closeTo512(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		d := math.Abs(float64(got[i] - want[i]))
		if d > tol*(1+math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestConv2DInferPaths checks every inference path of Conv2D (the AVX-512 direct kernels
// where the CPU has them, and the fallback) against refConv2DLayer over random shapes: kernel
// sizes 1, 3 and 5 (and non-square), strides 1 to 3, padding valid and same, channel and
// filter counts that are not multiples of 16, odd image sizes, with and without bias, ReLU
// and other activations.
func TestConv2DInferPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 16))
	paths := []bool{false}
	if hasConv512 {
		paths = append(paths, true)
	}
	saved := hasConv512
	defer func() { hasConv512 = saved }()
	for trial := 0; trial < 60; trial++ {
		kh, kw := []int{1, 3, 5}[rng.IntN(3)], []int{1, 3, 5}[rng.IntN(3)]
		if trial%3 == 0 {
			kw = kh
		}
		sh, sw := 1+rng.IntN(3), 1+rng.IntN(3)
		pad := []string{"valid", "same"}[rng.IntN(2)]
		h, w := kh+rng.IntN(12), kw+rng.IntN(12)
		c := 1 + rng.IntN(20)
		f := []int{1, 3, 8, 16, 17, 31, 32, 33, 48, 50, 64}[rng.IntN(11)]
		act := []string{"relu", "", "tanh", "relu6"}[rng.IntN(4)]
		n := 1 + rng.IntN(3)
		name := fmt.Sprintf("k%dx%d_s%dx%d_%s_%dx%dx%d_f%d_%s_n%d", kh, kw, sh, sw, pad, h, w, c, f, act, n)
		l := NewConv2D(f, [2]int{kh, kw}, Conv2DOptions{Strides: [2]int{sh, sw}, Padding: pad, Activation: act, NoBias: trial%5 == 4})
		if err := l.Build([]int{h, w, c}, NewRand(uint64(trial))); err != nil {
			t.Fatal(err)
		}
		if l.bias != nil {
			for i := range l.bias.Value.Float32s() {
				l.bias.Value.Float32s()[i] = float32(rng.NormFloat64())
			}
		}
		x := make([]float32, n*h*w*c)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		want := refConv2DLayer(l, x, n)
		for _, p := range paths {
			hasConv512 = p
			xt := tensor.MustFromFloat32([]int{n, h, w, c}, append([]float32(nil), x...))
			y, err := l.Forward(xt, false)
			if err != nil {
				t.Fatal(err)
			}
			closeTo512(t, fmt.Sprintf("%s avx512=%v", name, p), y.Float32s(), want, 1e-5)
		}
	}
}
