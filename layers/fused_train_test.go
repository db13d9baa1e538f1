package layers

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestBackwardFusedConvPool checks BackwardFused (Conv2D → MaxPooling2D in one pass) on
// random shapes (odd sizes, strides and padding of both layers, overlapping pool windows,
// windows left out at the edges, relu and linear, input gradient on and off, with and
// without the AVX-512 direct kernels) against a plain float64 reference of the two layers'
// gradients (each pool output's gradient to its window's first maximal cell in scan order,
// masked by the ReLU's gradient there), and bit for bit against the layers' own Backward.
// Inputs come from a small set of values so that windows have ties and zero maxima.
func TestBackwardFusedConvPool(t *testing.T) {
	rng := NewRand(77)
	saved := hasConv512
	defer func() { hasConv512 = saved }()
	for trial := range 48 {
		h, w, c := 3+rng.IntN(10), 3+rng.IntN(10), 1+rng.IntN(4)
		f := []int{1, 3, 16, 17, 32}[rng.IntN(5)]
		k := [2]int{1 + rng.IntN(3), 1 + rng.IntN(3)}
		cs := [2]int{1 + rng.IntN(2), 1 + rng.IntN(2)}
		cpad := []string{"valid", "same"}[rng.IntN(2)]
		act := []string{"relu", "linear"}[trial%2]
		p := [2]int{1 + rng.IntN(4), 1 + rng.IntN(4)}
		ps := [2]int{1 + rng.IntN(4), 1 + rng.IntN(4)}
		ppad := []string{"valid", "same"}[rng.IntN(2)]
		skipDX := rng.IntN(2) == 0
		n := 1 + rng.IntN(4)
		conv := NewConv2D(f, k, Conv2DOptions{Strides: cs, Padding: cpad, Activation: act})
		if err := conv.Build([]int{h, w, c}, NewRand(uint64(trial))); err != nil {
			t.Fatal(err)
		}
		oh, ow := conv.g.oh, conv.g.ow
		if ppad == "valid" && (p[0] > oh || p[1] > ow) {
			ppad = "same"
		}
		pool := NewMaxPooling2D(p, MaxPoolingOptions{Strides: ps, Padding: ppad})
		if err := pool.Build([]int{oh, ow, f}, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		conv.SetSkipInputGradient(skipDX)
		for j, v := range conv.kernel.Value.Float32s() {
			conv.kernel.Value.Float32s()[j] = float32(math.Round(float64(v)*4)) / 4
		}
		for j := range conv.bias.Value.Float32s() {
			conv.bias.Value.Float32s()[j] = float32(rng.IntN(3)-1) / 4
		}
		xd := make([]float32, n*h*w*c)
		for j := range xd {
			xd[j] = float32(rng.IntN(5)-2) / 2
		}
		pg := pool.g
		dyd := make([]float32, n*pg.oh*pg.ow*f)
		for j := range dyd {
			dyd[j] = rng.Uniform(-1, 1)
		}
		for _, direct := range []bool{false, true} {
			if direct && !saved {
				continue
			}
			hasConv512 = direct
			name := fmt.Sprintf("%d_%dx%dx%dx%d_f%d_k%v_s%v_%s_%s_p%v_s%v_%s_skip%v_direct%v", trial, n, h, w, c, f, k, cs, cpad, act, p, ps, ppad, skipDX, direct)
			run := func(fused bool) (dx, dW, dB []float32) {
				xt := tensor.MustFromFloat32([]int{n, h, w, c}, slices.Clone(xd))
				y, err := conv.Forward(xt, true)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := pool.Forward(y, true); err != nil {
					t.Fatal(err)
				}
				dy := tensor.MustFromFloat32([]int{n, pg.oh, pg.ow, f}, slices.Clone(dyd))
				var dxt *tensor.Tensor
				if fused {
					var used int
					dxt, used, err = BackwardFused([]Layer{conv, pool}, dy)
					if err != nil || used != 2 {
						t.Fatalf("%s: BackwardFused used %d layers, err %v", name, used, err)
					}
				} else {
					d, err := pool.Backward(dy)
					if err != nil {
						t.Fatal(err)
					}
					if dxt, err = conv.Backward(d); err != nil {
						t.Fatal(err)
					}
				}
				if dxt != nil {
					dx = slices.Clone(dxt.Float32s())
				}
				return dx, slices.Clone(gradOf(conv.kernel)), slices.Clone(gradOf(conv.bias))
			}
			fdx, fdW, fdB := run(true)
			udx, udW, udB := run(false)
			if skipDX != (fdx == nil) {
				t.Fatalf("%s: dx nil %v with skip %v", name, fdx == nil, skipDX)
			}
			for _, cmp := range []struct {
				what      string
				got, want []float32
			}{{"dx", fdx, udx}, {"kernel gradient", fdW, udW}, {"bias gradient", fdB, udB}} {
				if len(cmp.got) != len(cmp.want) {
					t.Fatalf("%s: %s has %d values, unfused %d", name, cmp.what, len(cmp.got), len(cmp.want))
				}
				for j := range cmp.got {
					if math.Float32bits(cmp.got[j]) != math.Float32bits(cmp.want[j]) {
						t.Fatalf("%s: %s[%d] = %v fused, %v unfused", name, cmp.what, j, cmp.got[j], cmp.want[j])
					}
				}
			}
			rdx, rdW, rdB := refConvPoolGrad(conv, pool, n, xd, dyd)
			closeRef(t, name+" kernel gradient", fdW, rdW)
			closeRef(t, name+" bias gradient", fdB, rdB)
			if !skipDX {
				closeRef(t, name+" dx", fdx, rdx)
			}
		}
	}
}

func closeRef(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for j, v := range want {
		if math.Abs(float64(got[j])-v) > 1e-4*(1+math.Abs(v)) {
			t.Fatalf("%s[%d] = %v, reference %v", what, j, got[j], v)
		}
	}
}

// refConvPoolGrad is a plain float64 reference of Conv2D (with its activation) followed by
// MaxPooling2D: the gradients of the kernel, the bias and the input for output gradient dy.
func refConvPoolGrad(conv *Conv2D, pool *MaxPooling2D, n int, x []float32, dy []float32) (dx, dW, dB []float64) {
	cg, pg := conv.g, pool.g
	F := conv.filters
	kd, bd := conv.kernel.Value.Float32s(), conv.bias.Value.Float32s()
	relu := conv.act.name == "relu"
	// Forward in float64, rounded to float32 as the layer stores it.
	y := make([]float32, n*cg.oh*cg.ow*F)
	for b := range n {
		for oy := range cg.oh {
			for ox := range cg.ow {
				for fo := range F {
					s := float64(bd[fo])
					for ky := range cg.kh {
						for kx := range cg.kw {
							iy, ix := oy*cg.sh-cg.pt+ky, ox*cg.sw-cg.pl+kx
							if iy < 0 || iy >= cg.h || ix < 0 || ix >= cg.w {
								continue
							}
							for ci := range cg.c {
								s += float64(x[((b*cg.h+iy)*cg.w+ix)*cg.c+ci]) * float64(kd[((ky*cg.kw+kx)*cg.c+ci)*F+fo])
							}
						}
					}
					if relu {
						s = max(s, 0)
					}
					y[((b*cg.oh+oy)*cg.ow+ox)*F+fo] = float32(s)
				}
			}
		}
	}
	dz := make([]float64, len(y))
	for b := range n {
		for oy := range pg.oh {
			for ox := range pg.ow {
				for ch := range F {
					best, at := float32(0), -1
					for ky := range pg.kh {
						for kx := range pg.kw {
							iy, ix := oy*pg.sh-pg.pt+ky, ox*pg.sw-pg.pl+kx
							if iy < 0 || iy >= pg.h || ix < 0 || ix >= pg.w {
								continue
							}
							k := ((b*pg.h+iy)*pg.w+ix)*F + ch
							if at < 0 || y[k] > best {
								best, at = y[k], k
							}
						}
					}
					if relu && y[at] <= 0 {
						continue
					}
					dz[at] += float64(dy[((b*pg.oh+oy)*pg.ow+ox)*F+ch])
				}
			}
		}
	}
	dx = make([]float64, len(x))
	dW = make([]float64, len(kd))
	dB = make([]float64, F)
	for b := range n {
		for oy := range cg.oh {
			for ox := range cg.ow {
				for fo := range F {
					g := dz[((b*cg.oh+oy)*cg.ow+ox)*F+fo]
					if g == 0 {
						continue
					}
					dB[fo] += g
					for ky := range cg.kh {
						for kx := range cg.kw {
							iy, ix := oy*cg.sh-cg.pt+ky, ox*cg.sw-cg.pl+kx
							if iy < 0 || iy >= cg.h || ix < 0 || ix >= cg.w {
								continue
							}
							for ci := range cg.c {
								xi := ((b*cg.h+iy)*cg.w+ix)*cg.c + ci
								wi := ((ky*cg.kw+kx)*cg.c+ci)*F + fo
								dW[wi] += float64(x[xi]) * g
								dx[xi] += float64(kd[wi]) * g
							}
						}
					}
				}
			}
		}
	}
	return dx, dW, dB
}
