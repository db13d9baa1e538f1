package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// refDepthwise is a plain float64 NHWC depthwise convolution (TensorFlow's padding rule) of x
// by kd (kh, kw, c, dm) plus bd (nil: none), before any activation.
func refDepthwise(g geom, dm int, x, kd, bd []float32, n int) []float64 {
	cd := g.c * dm
	out := make([]float64, n*g.oh*g.ow*cd)
	for i := 0; i < n; i++ {
		for oy := 0; oy < g.oh; oy++ {
			for ox := 0; ox < g.ow; ox++ {
				for j := 0; j < cd; j++ {
					var s float64
					if bd != nil {
						s = float64(bd[j])
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
							s += float64(x[((i*g.h+iy)*g.w+ix)*g.c+j/dm]) * float64(kd[(ky*g.kw+kx)*cd+j])
						}
					}
					out[((i*g.oh+oy)*g.ow+ox)*cd+j] = s
				}
			}
		}
	}
	return out
}

// refAct1 applies a named activation in float64 (the ones the tests use).
func refAct1(act string, v float64) float64 {
	switch act {
	case "relu":
		return math.Max(v, 0)
	case "relu6":
		return math.Min(math.Max(v, 0), 6)
	case "swish", "silu":
		return v / (1 + math.Exp(-v))
	case "sigmoid":
		return 1 / (1 + math.Exp(-v))
	case "tanh":
		return math.Tanh(v)
	}
	return v
}

// TestDepthwiseInferPaths checks DepthwiseConv2D inference (the AVX-512 kernels where the CPU
// has them, and the Go path) against a float64 reference over random shapes: kernel sizes 1,
// 3 and 5 (and non-square), strides 1 to 3, padding valid and same, channel counts that are
// not multiples of 16, images narrower than the window with same padding, batch 1 to 3, with
// and without bias, depth multipliers and dilation (Go path), fused and other activations.
func TestDepthwiseInferPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 3))
	paths := []bool{false}
	if hasConv512 {
		paths = append(paths, true)
	}
	saved := hasConv512
	defer func() { hasConv512 = saved }()
	for trial := 0; trial < 150; trial++ {
		kh, kw := []int{1, 3, 5}[rng.IntN(3)], []int{1, 3, 5}[rng.IntN(3)]
		if trial%3 == 0 {
			kw = kh
		}
		sh, sw := 1+rng.IntN(3), 1+rng.IntN(3)
		if trial%2 == 0 {
			sh, sw = 1+rng.IntN(2), 1+rng.IntN(2)
			sw = sh
		}
		pad := []string{"valid", "same"}[rng.IntN(2)]
		h, w := 1+rng.IntN(14), 1+rng.IntN(20)
		if pad == "valid" {
			h, w = kh+rng.IntN(12), kw+rng.IntN(20)
		}
		c := []int{1, 3, 8, 15, 16, 17, 31, 32, 33, 48, 50, 96, 144}[rng.IntN(13)]
		dm := 1
		var dil [2]int
		if trial%10 == 9 {
			dm = 2
		}
		if trial%10 == 7 {
			sh, sw, dil = 1, 1, [2]int{2, 2}
			h, w = 2*kh+rng.IntN(6), 2*kw+rng.IntN(6)
		}
		act := []string{"relu", "", "relu6", "swish", "tanh"}[rng.IntN(5)]
		n := 1 + rng.IntN(3)
		name := fmt.Sprintf("k%dx%d_s%dx%d_%s_%dx%dx%d_dm%d_d%v_%s_n%d", kh, kw, sh, sw, pad, h, w, c, dm, dil, act, n)
		l := NewDepthwiseConv2D([2]int{kh, kw}, DepthwiseConv2DOptions{Strides: [2]int{sh, sw}, Padding: pad,
			Activation: act, NoBias: trial%5 == 4, DepthMultiplier: dm, DilationRate: dil})
		if err := l.Build([]int{h, w, c}, NewRand(uint64(trial))); err != nil {
			t.Fatal(err)
		}
		var bd []float32
		if l.bias != nil {
			bd = l.bias.Value.Float32s()
			for i := range bd {
				bd[i] = float32(rng.NormFloat64())
			}
		}
		x := make([]float32, n*h*w*c)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 3)
		}
		ref := refDepthwise(l.g, dm, x, l.kernel.Value.Float32s(), bd, n)
		want := make([]float32, len(ref))
		for i, v := range ref {
			want[i] = float32(refAct1(act, v))
		}
		for _, p := range paths {
			hasConv512 = p
			xt := tensor.MustFromFloat32([]int{n, h, w, c}, append([]float32(nil), x...))
			ws := NewWorkspace()
			for rep := 0; rep < 2; rep++ {
				y, err := Infer(ws, l, xt)
				if err != nil {
					t.Fatal(err)
				}
				closeTo512(t, fmt.Sprintf("%s avx512=%v ws", name, p), y.Float32s(), want, 1e-5)
			}
			y, err := l.Forward(xt, false)
			if err != nil {
				t.Fatal(err)
			}
			closeTo512(t, fmt.Sprintf("%s avx512=%v", name, p), y.Float32s(), want, 1e-5)
			yt, err := l.Forward(xt, true)
			if err != nil {
				t.Fatal(err)
			}
			closeTo512(t, fmt.Sprintf("%s avx512=%v training", name, p), yt.Float32s(), want, 1e-5)
		}
	}
}
