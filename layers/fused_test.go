package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestForwardFused checks the fused Conv2D → [BatchNormalization] → MaxPooling2D →
// [BatchNormalization] inference path against the same layers run one by one, over random
// shapes (odd sizes, pool windows that leave conv rows and columns unread, strides,
// padding, filter counts that are not multiples of 16, activations, with and without bias
// and either BatchNormalization), and the unfused result against a plain reference.
func TestForwardFused(t *testing.T) {
	if !hasConv512 {
		l := NewConv2D(16, [2]int{3, 3})
		if err := l.Build([]int{8, 8, 3}, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		p := NewMaxPooling2D([2]int{2, 2})
		if err := p.Build([]int{6, 6, 16}, nil); err != nil {
			t.Fatal(err)
		}
		if _, k, err := ForwardFused([]Layer{l, p}, uniformTensor(NewRand(2), 1, 8, 8, 3)); k != 0 || err != nil {
			t.Fatalf("ForwardFused without AVX-512 consumed %d layers (err %v), want 0", k, err)
		}
		t.Skip("AVX-512 direct kernels off (no AVX-512F, or KERASGO_GEMM forces another kernel): checked that ForwardFused declines")
	}
	rng := rand.New(rand.NewPCG(16, 2))
	for trial := 0; trial < 50; trial++ {
		k := []int{1, 3, 5}[rng.IntN(3)]
		s := 1 + rng.IntN(2)
		pad := []string{"valid", "same"}[rng.IntN(2)]
		h, w := k+2+rng.IntN(14), k+2+rng.IntN(14)
		c := 1 + rng.IntN(7)
		f := []int{1, 5, 16, 17, 24, 32, 40, 64}[rng.IntN(8)]
		act := []string{"relu", "relu", "", "tanh"}[rng.IntN(4)]
		ph, pw := 1+rng.IntN(4), 1+rng.IntN(4)
		ps := [2]int{ph + rng.IntN(2), pw + rng.IntN(2)}
		bn1, bn2 := rng.IntN(2) == 0, rng.IntN(2) == 0
		n := 1 + rng.IntN(3)
		name := fmt.Sprintf("k%d_s%d_%s_%dx%dx%d_f%d_%q_pool%dx%d/%v_bn%v%v_n%d", k, s, pad, h, w, c, f, act, ph, pw, ps, bn1, bn2, n)

		conv := NewConv2D(f, [2]int{k, k}, Conv2DOptions{Strides: [2]int{s, s}, Padding: pad, Activation: act, NoBias: trial%4 == 3})
		in := []int{h, w, c}
		if err := conv.Build(in, NewRand(uint64(trial))); err != nil {
			t.Fatal(err)
		}
		lr := NewRand(uint64(100 + trial))
		randomize(lr, conv.bias)
		ls := []Layer{conv}
		cur, _ := conv.OutputShape(in)
		addBN := func() {
			bn := NewBatchNormalization(BatchNormOptions{Epsilon: 1e-3})
			if err := bn.Build(cur, NewRand(3)); err != nil {
				t.Fatal(err)
			}
			randomize(lr, bn.gamma, bn.beta, bn.mean)
			for i, v := range bn.variance.Value.Float32s() {
				bn.variance.Value.Float32s()[i] = v + lr.Uniform(0, 2)
			}
			ls = append(ls, bn)
		}
		if bn1 {
			addBN()
		}
		if cur[0] < ph || cur[1] < pw {
			continue
		}
		pool := NewMaxPooling2D([2]int{ph, pw}, MaxPoolingOptions{Strides: ps})
		if err := pool.Build(cur, nil); err != nil {
			t.Fatal(err)
		}
		ls = append(ls, pool)
		cur, _ = pool.OutputShape(cur)
		if bn2 {
			addBN()
		}
		x := uniformTensor(lr, append([]int{n}, in...)...)

		// Unfused.
		y := x
		for _, l := range ls {
			var err error
			if y, err = l.Forward(y, false); err != nil {
				t.Fatal(err)
			}
		}
		want := append([]float32(nil), y.Float32s()...)
		got, used, err := ForwardFused(ls, x)
		if err != nil {
			t.Fatal(err)
		}
		if used != len(ls) {
			t.Fatalf("%s: ForwardFused consumed %d of %d layers", name, used, len(ls))
		}
		if !tensorShapeEq(got.Shape, append([]int{n}, cur...)) {
			t.Fatalf("%s: shape %v, want %v", name, got.Shape, append([]int{n}, cur...))
		}
		if conv.g.trivial() {
			// The unfused 1×1 convolution is a GEMM (another summation order).
			closeTo512(t, name, got.Float32s(), want, 1e-5)
			continue
		}
		for i, v := range got.Float32s() {
			if math.Float32bits(v) != math.Float32bits(want[i]) {
				t.Fatalf("%s: [%d] = %v fused, %v unfused", name, i, v, want[i])
			}
		}
	}
}

func tensorShapeEq(a, b []int) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// TestForwardFusedDeclines checks that chains the fused path does not cover are left to
// the layers (0 consumed): same-padded or overlapping pooling, a conv with another layer
// after it, a mixed-precision policy.
func TestForwardFusedDeclines(t *testing.T) {
	conv := NewConv2D(16, [2]int{3, 3}, Conv2DOptions{Activation: "relu"})
	if err := conv.Build([]int{9, 9, 3}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	x := uniformTensor(NewRand(2), 2, 9, 9, 3)
	for _, p := range []*MaxPooling2D{
		NewMaxPooling2D([2]int{2, 2}, MaxPoolingOptions{Padding: "same"}),
		NewMaxPooling2D([2]int{3, 3}, MaxPoolingOptions{Strides: [2]int{2, 2}}),
	} {
		if err := p.Build([]int{7, 7, 16}, nil); err != nil {
			t.Fatal(err)
		}
		if _, k, err := ForwardFused([]Layer{conv, p}, x); k != 0 || err != nil {
			t.Errorf("pool %v strides %v same=%v: consumed %d (err %v), want 0", p.pool, p.strides, p.same, k, err)
		}
	}
	if _, k, _ := ForwardFused([]Layer{conv, NewFlatten()}, x); k != 0 {
		t.Errorf("Conv2D, Flatten: consumed %d, want 0", k)
	}
	// A wrong input shape is an error naming the layer, as the layer's Forward reports it.
	p := NewMaxPooling2D([2]int{2, 2})
	if err := p.Build([]int{7, 7, 16}, nil); err != nil {
		t.Fatal(err)
	}
	if err := conv.SetDTypePolicy(PolicyMixedFloat16); err != nil {
		t.Fatal(err)
	}
	if _, k, _ := ForwardFused([]Layer{conv, p}, x); k != 0 {
		t.Errorf("mixed_float16 Conv2D: consumed %d, want 0", k)
	}
	if err := conv.SetDTypePolicy(PolicyFloat32); err != nil {
		t.Fatal(err)
	}
	if _, k, err := ForwardFused([]Layer{conv, p}, x); hasConv512 && (k != 2 || err != nil) {
		t.Errorf("float32 Conv2D, MaxPooling2D: consumed %d (err %v), want 2", k, err)
	}
	if hasConv512 {
		if _, _, err := ForwardFused([]Layer{conv, p}, uniformTensor(NewRand(2), 2, 10, 9, 3)); err == nil {
			t.Error("wrong input shape: no error")
		}
	}
	_ = tensor.Float32
}

// TestMaxWindowWide checks the 16-lane max kernel against Go's max, NaN included.
func TestMaxWindowWide(t *testing.T) {
	rng := NewRand(5)
	for _, c := range []int{1, 8, 15, 16, 17, 32, 33, 50} {
		for _, kk := range [][2]int{{1, 1}, {2, 2}, {3, 2}, {4, 4}} {
			kh, kw := kk[0], kk[1]
			stride := (kw + 1) * c
			s := make([]float32, kh*stride)
			for i := range s {
				s[i] = rng.Uniform(-1, 1)
			}
			if c > 3 {
				s[(kh-1)*stride+2] = float32(math.NaN())
			}
			d := make([]float32, c)
			maxWindowWide(d, s, c, kw, kh, stride)
			for j := range c {
				want := s[j]
				for ky := range kh {
					for kx := range kw {
						want = max(want, s[ky*stride+kx*c+j])
					}
				}
				if math.IsNaN(float64(want)) != math.IsNaN(float64(d[j])) || (!math.IsNaN(float64(want)) && want != d[j]) {
					t.Fatalf("c=%d %dx%d lane %d: %v, want %v", c, kh, kw, j, d[j], want)
				}
			}
		}
	}
}
