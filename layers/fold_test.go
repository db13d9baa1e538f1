package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestInferFolded checks InferFolded (Conv2D or DepthwiseConv2D, BatchNormalization folded
// in, then ReLU, ReLU6, swish or nothing) against a float64 reference of the three layers
// over random shapes (odd channel counts, strides 1 and 2, valid and same padding, batch 1 to
// 3), on the AVX-512 and Go paths, and bit for bit against the layers run one by one (swish:
// see sameBits).
func TestInferFolded(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 16))
	paths := []bool{false}
	if hasConv512 {
		paths = append(paths, true)
	}
	saved := hasConv512
	defer func() { hasConv512 = saved }()
	for trial := 0; trial < 80; trial++ {
		k := []int{1, 3, 5}[rng.IntN(3)]
		s := 1 + rng.IntN(2)
		pad := []string{"valid", "same"}[rng.IntN(2)]
		h, w := k+rng.IntN(10), k+rng.IntN(14)
		c := []int{1, 5, 16, 17, 24, 33, 40}[rng.IntN(7)]
		n := 1 + rng.IntN(3)
		depthwise := trial%2 == 0
		var head Layer
		f := c
		if depthwise {
			head = NewDepthwiseConv2D([2]int{k, k}, DepthwiseConv2DOptions{Strides: [2]int{s, s}, Padding: pad, NoBias: trial%4 == 0})
		} else {
			f = []int{3, 16, 24, 31, 48}[rng.IntN(5)]
			head = NewConv2D(f, [2]int{k, k}, Conv2DOptions{Strides: [2]int{s, s}, Padding: pad, NoBias: trial%4 == 1})
		}
		if err := head.Build([]int{h, w, c}, NewRand(uint64(trial))); err != nil {
			t.Fatal(err)
		}
		// weights of unit-sized sums, so that the tolerance is float32 rounding of O(1) values
		fanIn := k * k * c
		if depthwise {
			fanIn = k * k
		}
		for _, wt := range head.Weights() {
			for i := range wt.Value.Float32s() {
				wt.Value.Float32s()[i] = float32(rng.NormFloat64() / math.Sqrt(float64(fanIn)))
			}
		}
		out, _ := head.OutputShape([]int{h, w, c})
		bn := NewBatchNormalization()
		if err := bn.Build(out, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < f; j++ {
			bn.gamma.Value.Float32s()[j] = float32(rng.NormFloat64())
			bn.beta.Value.Float32s()[j] = float32(rng.NormFloat64())
			bn.mean.Value.Float32s()[j] = float32(rng.NormFloat64())
			bn.variance.Value.Float32s()[j] = float32(0.1 + rng.Float64()*3)
		}
		actName := []string{"", "relu", "relu6", "swish"}[rng.IntN(4)]
		var act Layer
		switch actName {
		case "relu":
			act = NewReLU()
		case "relu6":
			six := 6.0
			act = NewReLU(ReLUOptions{MaxValue: &six})
		case "swish":
			act = NewActivation("swish")
		}
		if act != nil {
			if err := act.Build(out, NewRand(1)); err != nil {
				t.Fatal(err)
			}
		}
		if !CanFold(head, bn, act) {
			t.Fatalf("trial %d: CanFold false", trial)
		}
		x := make([]float32, n*h*w*c)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		// float64 reference
		var z []float64
		if d, ok := head.(*DepthwiseConv2D); ok {
			var bd []float32
			if d.bias != nil {
				bd = d.bias.Value.Float32s()
			}
			z = refDepthwise(d.g, 1, x, d.kernel.Value.Float32s(), bd, n)
		} else {
			zc := refConv2DLayer(head.(*Conv2D), x, n)
			z = make([]float64, len(zc))
			for i, v := range zc {
				z[i] = float64(v)
			}
		}
		want := make([]float32, len(z))
		for i, v := range z {
			j := i % f
			is := 1 / math.Sqrt(float64(bn.variance.Value.Float32s()[j])+bn.eps)
			v = (v-float64(bn.mean.Value.Float32s()[j]))*is*float64(bn.gamma.Value.Float32s()[j]) + float64(bn.beta.Value.Float32s()[j])
			want[i] = float32(refAct1(actName, v))
		}
		name := fmt.Sprintf("trial%d_dw%v_k%d_s%d_%s_%dx%dx%d_f%d_%s_n%d", trial, depthwise, k, s, pad, h, w, c, f, actName, n)
		for _, p := range paths {
			hasConv512 = p
			xt := tensor.MustFromFloat32([]int{n, h, w, c}, x)
			ws := NewWorkspace()
			for rep := 0; rep < 2; rep++ {
				y, err := InferFolded(ws, nil, head, bn, act, xt)
				if err != nil {
					t.Fatal(err)
				}
				closeTo512(t, name+fmt.Sprintf(" avx512=%v", p), y.Float32s(), want, 2e-5)
			}
			y, err := InferFolded(nil, nil, head, bn, act, xt)
			if err != nil {
				t.Fatal(err)
			}
			closeTo512(t, name+fmt.Sprintf(" avx512=%v no ws", p), y.Float32s(), want, 2e-5)
			// the layers one by one
			u, err := head.Forward(xt, false)
			if err == nil {
				u, err = bn.Forward(u, false)
			}
			if err == nil && act != nil {
				u, err = act.Forward(u, false)
			}
			if err != nil {
				t.Fatal(err)
			}
			closeTo512(t, name+fmt.Sprintf(" avx512=%v unfused", p), u.Float32s(), want, 2e-5)
			sameBits(t, name+fmt.Sprintf(" avx512=%v", p), y.Float32s(), u.Float32s(), actName == "swish")
		}
	}
	// What cannot fold.
	c := NewConv2D(4, [2]int{3, 3}, Conv2DOptions{Activation: "relu"})
	bn := NewBatchNormalization()
	_ = c.Build([]int{8, 8, 3}, NewRand(1))
	_ = bn.Build([]int{6, 6, 4}, NewRand(1))
	if CanFold(c, bn, nil) {
		t.Error("CanFold accepts a Conv2D with an activation")
	}
	lr := NewReLU(ReLUOptions{NegativeSlope: 0.1})
	c2 := NewConv2D(4, [2]int{3, 3})
	_ = c2.Build([]int{8, 8, 3}, NewRand(1))
	if CanFold(c2, bn, lr) || !CanFold(c2, bn, nil) {
		t.Error("CanFold: leaky ReLU accepted or plain chain refused")
	}
}

// TestInferFoldedPad checks ZeroPadding2D → DepthwiseConv2D (valid) → BatchNormalization →
// activation as one pass (the padding read as the convolution's own) bit for bit against the
// layers one by one, over random paddings (asymmetric, wider than the window), strides 1
// and 2, odd channel counts, batch 1 to 2, on the AVX-512 and Go paths.
func TestInferFoldedPad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	paths := []bool{false}
	if hasConv512 {
		paths = append(paths, true)
	}
	saved := hasConv512
	defer func() { hasConv512 = saved }()
	for trial := 0; trial < 40; trial++ {
		k, s := []int{3, 5}[rng.IntN(2)], 1+rng.IntN(2)
		pads := [2][2]int{{rng.IntN(4), rng.IntN(4)}, {rng.IntN(4), rng.IntN(4)}}
		h, w, c, n := 1+rng.IntN(9), 1+rng.IntN(11), []int{1, 7, 16, 24, 35}[rng.IntN(5)], 1+rng.IntN(2)
		if h+pads[0][0]+pads[0][1] < k || w+pads[1][0]+pads[1][1] < k {
			continue
		}
		pad := NewZeroPadding2D(pads)
		if err := pad.Build([]int{h, w, c}, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		pin, _ := pad.OutputShape([]int{h, w, c})
		head := NewDepthwiseConv2D([2]int{k, k}, DepthwiseConv2DOptions{Strides: [2]int{s, s}})
		if err := head.Build(pin, NewRand(uint64(trial))); err != nil {
			t.Fatal(err)
		}
		for i := range head.bias.Value.Float32s() {
			head.bias.Value.Float32s()[i] = float32(rng.NormFloat64())
		}
		out, _ := head.OutputShape(pin)
		bn := NewBatchNormalization()
		if err := bn.Build(out, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < c; j++ {
			bn.gamma.Value.Float32s()[j] = float32(rng.NormFloat64())
			bn.mean.Value.Float32s()[j] = float32(rng.NormFloat64())
			bn.variance.Value.Float32s()[j] = float32(0.1 + rng.Float64())
		}
		act := NewActivation([]string{"swish", "relu"}[trial%2])
		_ = act.Build(out, NewRand(1))
		if !CanPad(pad, head) || !CanFold(head, bn, act) {
			t.Fatalf("trial %d: CanPad or CanFold false", trial)
		}
		x := make([]float32, n*h*w*c)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		xt := tensor.MustFromFloat32([]int{n, h, w, c}, x)
		for _, p := range paths {
			hasConv512 = p
			u, err := pad.Forward(xt, false)
			if err == nil {
				u, err = head.Forward(u, false)
			}
			if err == nil {
				u, err = bn.Forward(u, false)
			}
			if err == nil {
				u, err = act.Forward(u, false)
			}
			if err != nil {
				t.Fatal(err)
			}
			y, err := InferFolded(NewWorkspace(), pad, head, bn, act, xt)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(y.Shape) != fmt.Sprint(u.Shape) {
				t.Fatalf("trial %d: shape %v, want %v", trial, y.Shape, u.Shape)
			}
			sameBits(t, fmt.Sprintf("trial %d (k%d s%d pads %v %dx%dx%d n%d) avx512=%v", trial, k, s, pads, h, w, c, n, p), y.Float32s(), u.Float32s(), trial%2 == 0)
		}
	}
	if CanPad(NewZeroPadding2D([2][2]int{{1, 1}, {1, 1}}), NewDepthwiseConv2D([2]int{3, 3}, DepthwiseConv2DOptions{Padding: "same"})) {
		t.Error("CanPad accepts an unbuilt or same-padded convolution")
	}
}

// sameBits fails unless got equals want bit for bit (up to the sign of zero); with vmath, within
// 4e-7 relative: the swish of a row's last floats that do not fill a vector runs the Go
// sigmoid, whose rounding may differ from the AVX-512 kernel's by an ulp, and a row of the
// fused pass ends elsewhere than the whole tensor of the unfused Activation layer.
func sameBits(t *testing.T, what string, got, want []float32, vmath bool) {
	t.Helper()
	for i, v := range want {
		d := math.Abs(float64(got[i] - v))
		if got[i] != v && (!vmath || d > 4e-7*math.Abs(float64(v))) {
			t.Fatalf("%s: [%d] = %v fused, %v one by one", what, i, got[i], v)
		}
	}
}
