package layers

import (
	"fmt"
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// Finite-difference checks of every Backward: the loss is L = Σ r·y for a fixed random r, so
// dL/dy = r. Numerical derivatives use central differences in float32 with the loss summed in
// float64.

func randTensor(rng *Rand, shape []int, lo, hi float32) *tensor.Tensor {
	n, _ := tensor.NumElements(shape)
	d := make([]float32, n)
	for i := range d {
		d[i] = rng.Uniform(lo, hi)
	}
	return tensor.MustFromFloat32(shape, d)
}

func projLoss(y *tensor.Tensor, r []float32) float64 {
	s := 0.0
	for i, v := range y.Float32s() {
		s += float64(v) * float64(r[i])
	}
	return s
}

// gradCheck compares analytic gradients of layer l (already built) at x with numerical
// ones, for x and every trainable weight.
func gradCheck(t *testing.T, l Layer, x *tensor.Tensor, eps float64) {
	t.Helper()
	rng := NewRand(99)
	y, err := l.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	r := randTensor(rng, y.Shape, -1, 1)
	dx, err := l.Backward(r)
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		y, err := l.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		return projLoss(y, r.Float32s())
	}
	check := func(what string, param []float32, grad []float32) {
		t.Helper()
		if len(grad) != len(param) {
			t.Fatalf("%s: gradient has %d values, want %d", what, len(grad), len(param))
		}
		step := max(1, len(param)/40)
		bad := 0
		for i := 0; i < len(param); i += step {
			old := param[i]
			param[i] = old + float32(eps)
			lp := loss()
			param[i] = old - float32(eps)
			lm := loss()
			param[i] = old
			h := float64(old+float32(eps)) - float64(old-float32(eps))
			num := (lp - lm) / h
			ana := float64(grad[i])
			if math.Abs(num-ana) > 2e-3+2e-2*math.Abs(num) {
				if bad < 5 {
					t.Errorf("%s[%d]: analytic %.6g, numerical %.6g", what, i, ana, num)
				}
				bad++
			}
		}
	}
	grads := map[*Weight][]float32{}
	for _, w := range l.Weights() {
		if w.Trainable {
			grads[w] = append([]float32(nil), w.Grad...)
		} else if w.Grad != nil {
			t.Errorf("non-trainable %s has a gradient", w.Name)
		}
	}
	if dx != nil {
		check("dx", x.Float32s(), dx.Float32s())
	}
	for w, g := range grads {
		check(w.Name, w.Value.Float32s(), g)
	}
}

func build(t *testing.T, l Layer, in []int) Layer {
	t.Helper()
	if err := l.Build(in, NewRand(7)); err != nil {
		t.Fatal(err)
	}
	// Non-zero biases and BN parameters so that their gradients matter.
	rng := NewRand(8)
	for _, w := range l.Weights() {
		d := w.Value.Float32s()
		for i := range d {
			switch w.Name {
			case "bias", "beta", "moving_mean":
				d[i] = rng.Uniform(-0.5, 0.5)
			case "gamma", "moving_variance":
				d[i] = rng.Uniform(0.5, 1.5)
			}
		}
	}
	return l
}

func TestGradDense(t *testing.T) {
	for _, act := range []string{"linear", "tanh", "sigmoid", "softmax", "elu", "selu", "softplus", "softsign", "swish", "gelu"} {
		t.Run(act, func(t *testing.T) {
			l := build(t, NewDense(5, DenseOptions{Activation: act}), []int{7})
			gradCheck(t, l, randTensor(NewRand(1), []int{4, 7}, -1, 1), 1e-2)
		})
	}
	t.Run("nobias_rank3", func(t *testing.T) {
		l := build(t, NewDense(3, DenseOptions{NoBias: true, Activation: "tanh"}), []int{2, 6})
		gradCheck(t, l, randTensor(NewRand(1), []int{3, 2, 6}, -1, 1), 1e-2)
	})
}

func TestGradConv2D(t *testing.T) {
	cases := []struct {
		in      []int
		filters int
		k, s    [2]int
		pad     string
		act     string
		nobias  bool
	}{
		{[]int{6, 7, 3}, 4, [2]int{3, 3}, [2]int{1, 1}, "valid", "tanh", false},
		{[]int{7, 6, 2}, 3, [2]int{3, 2}, [2]int{2, 2}, "same", "linear", false},
		{[]int{8, 8, 2}, 3, [2]int{2, 3}, [2]int{2, 1}, "same", "sigmoid", true},
		{[]int{5, 5, 3}, 2, [2]int{1, 1}, [2]int{1, 1}, "valid", "tanh", false},
		{[]int{9, 9, 1}, 2, [2]int{4, 4}, [2]int{3, 3}, "same", "softplus", false},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			l := build(t, NewConv2D(c.filters, c.k, Conv2DOptions{Strides: c.s, Padding: c.pad, Activation: c.act, NoBias: c.nobias}), c.in)
			gradCheck(t, l, randTensor(NewRand(uint64(i)), append([]int{3}, c.in...), -1, 1), 1e-2)
		})
	}
}

// TestGradConv2DDilatedGrouped checks the dilated and grouped path (conv2d_grouped.go) at odd
// sizes, with both paddings, strides beside groups, and frozen weights.
func TestGradConv2DDilatedGrouped(t *testing.T) {
	cases := []struct {
		in       []int
		filters  int
		k, s, dl [2]int
		groups   int
		pad      string
		act      string
		nobias   bool
	}{
		{[]int{9, 7, 3}, 4, [2]int{3, 3}, [2]int{1, 1}, [2]int{2, 2}, 1, "valid", "tanh", false},
		{[]int{7, 9, 2}, 3, [2]int{3, 2}, [2]int{1, 1}, [2]int{2, 3}, 1, "same", "linear", false},
		{[]int{5, 8, 1}, 2, [2]int{2, 3}, [2]int{1, 1}, [2]int{3, 1}, 1, "same", "sigmoid", true},
		{[]int{7, 5, 6}, 9, [2]int{3, 3}, [2]int{1, 1}, [2]int{1, 1}, 3, "valid", "tanh", false},
		{[]int{7, 6, 4}, 6, [2]int{3, 2}, [2]int{2, 1}, [2]int{1, 1}, 2, "same", "linear", false},
		{[]int{5, 5, 4}, 4, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 4, "valid", "softplus", false},
		{[]int{9, 8, 6}, 4, [2]int{3, 3}, [2]int{1, 1}, [2]int{2, 3}, 2, "same", "tanh", false},
		{[]int{8, 7, 3}, 3, [2]int{2, 2}, [2]int{1, 1}, [2]int{3, 2}, 3, "valid", "linear", true},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			o := Conv2DOptions{Strides: c.s, DilationRate: c.dl, Groups: c.groups, Padding: c.pad, Activation: c.act, NoBias: c.nobias}
			l := build(t, NewConv2D(c.filters, c.k, o), c.in)
			gradCheck(t, l, randTensor(NewRand(uint64(i)), append([]int{3}, c.in...), -1, 1), 1e-2)
		})
	}
	t.Run("frozen", func(t *testing.T) {
		l := build(t, NewConv2D(4, [2]int{3, 3}, Conv2DOptions{DilationRate: [2]int{2, 1}, Groups: 2, Padding: "same"}), []int{6, 5, 4}).(*Conv2D)
		l.SetTrainable(false)
		gradCheck(t, l, randTensor(NewRand(3), []int{2, 6, 5, 4}, -1, 1), 1e-2)
	})
}

// TestGradReLU checks ReLU layers at points away from the kink (checked first).
func TestGradReLU(t *testing.T) {
	l := build(t, NewDense(6, DenseOptions{Activation: "relu"}), []int{4}).(*Dense)
	x := randTensor(NewRand(7), []int{5, 4}, -1, 1)
	lin := NewDense(6)
	lin.Build([]int{4}, NewRand(1))
	copy(lin.kernel.Value.Float32s(), l.kernel.Value.Float32s())
	copy(lin.bias.Value.Float32s(), l.bias.Value.Float32s())
	z, _ := lin.Forward(x, false)
	pos := 0
	for _, v := range z.Float32s() {
		if math.Abs(float64(v)) < 0.02 {
			t.Fatalf("pre-activation %v too close to the kink; pick another seed", v)
		}
		if v > 0 {
			pos++
		}
	}
	if pos == 0 || pos == z.Len() {
		t.Fatalf("want both signs among pre-activations, have %d/%d positive", pos, z.Len())
	}
	gradCheck(t, l, x, 1e-3)
}

func distinct(rng *Rand, shape []int) *tensor.Tensor {
	n, _ := tensor.NumElements(shape)
	p := rng.Perm(int(n))
	d := make([]float32, n)
	for i, v := range p {
		d[i] = float32(v)*0.1 - float32(n)*0.05
	}
	return tensor.MustFromFloat32(shape, d)
}

func TestGradMaxPooling2D(t *testing.T) {
	cases := []struct {
		in   []int
		p, s [2]int
		pad  string
	}{
		{[]int{6, 6, 2}, [2]int{2, 2}, [2]int{2, 2}, "valid"},
		{[]int{7, 7, 3}, [2]int{3, 3}, [2]int{2, 2}, "valid"},
		{[]int{7, 6, 2}, [2]int{3, 3}, [2]int{2, 2}, "same"},
		{[]int{5, 5, 1}, [2]int{2, 2}, [2]int{1, 1}, "same"},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			l := build(t, NewMaxPooling2D(c.p, MaxPoolingOptions{Strides: c.s, Padding: c.pad}), c.in)
			gradCheck(t, l, distinct(NewRand(uint64(i)), append([]int{2}, c.in...)), 1e-2)
		})
	}
}

func TestGradBatchNormalization(t *testing.T) {
	cases := []struct {
		in []int
		o  BatchNormOptions
	}{
		{[]int{3, 3, 4}, BatchNormOptions{}},
		{[]int{5}, BatchNormOptions{Momentum: 0.9}},
		{[]int{2, 2, 3}, BatchNormOptions{NoCenter: true}},
		{[]int{2, 2, 3}, BatchNormOptions{NoScale: true, Epsilon: 1e-5}},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			l := build(t, NewBatchNormalization(c.o), c.in)
			gradCheck(t, l, randTensor(NewRand(uint64(i)), append([]int{4}, c.in...), -2, 2), 1e-2)
		})
	}
	t.Run("frozen", func(t *testing.T) {
		l := build(t, NewBatchNormalization(), []int{2, 2, 3}).(*BatchNormalization)
		l.SetTrainable(false)
		mm := append([]float32(nil), l.mean.Value.Float32s()...)
		gradCheck(t, l, randTensor(NewRand(5), []int{4, 2, 2, 3}, -2, 2), 1e-2)
		for j, v := range l.mean.Value.Float32s() {
			if v != mm[j] {
				t.Fatalf("frozen BN changed its moving mean")
			}
		}
	})
}

func TestGradFlattenActivation(t *testing.T) {
	gradCheck(t, build(t, NewFlatten(), []int{2, 3, 2}), randTensor(NewRand(1), []int{3, 2, 3, 2}, -1, 1), 1e-2)
	for _, a := range []string{"softmax", "tanh", "sigmoid", "elu", "exponential", "gelu", "linear"} {
		t.Run(a, func(t *testing.T) {
			gradCheck(t, build(t, NewActivation(a), []int{2, 5}), randTensor(NewRand(2), []int{3, 2, 5}, -1, 1), 1e-2)
		})
	}
}

// TestSkipInputGradient: with the input gradient skipped, weight gradients are unchanged.
func TestSkipInputGradient(t *testing.T) {
	for _, mk := range []func() Layer{
		func() Layer { return NewConv2D(3, [2]int{3, 3}, Conv2DOptions{Activation: "tanh", Padding: "same"}) },
		func() Layer { return NewDense(4, DenseOptions{Activation: "tanh"}) },
	} {
		var grads [2][][]float32
		for pass, skip := range []bool{false, true} {
			l := mk()
			in := []int{5, 5, 2}
			if _, ok := l.(*Dense); ok {
				in = []int{6}
			}
			build(t, l, in)
			l.(InputGradientSkipper).SetSkipInputGradient(skip)
			x := randTensor(NewRand(4), append([]int{3}, in...), -1, 1)
			y, _ := l.Forward(x, true)
			dx, err := l.Backward(randTensor(NewRand(5), y.Shape, -1, 1))
			if err != nil {
				t.Fatal(err)
			}
			if (dx == nil) != skip {
				t.Fatalf("%s skip=%v: dx nil = %v", l.Class(), skip, dx == nil)
			}
			for _, w := range l.Weights() {
				grads[pass] = append(grads[pass], append([]float32(nil), w.Grad...))
			}
		}
		for i := range grads[0] {
			for j := range grads[0][i] {
				if grads[0][i][j] != grads[1][i][j] {
					t.Fatalf("gradient %d differs when skipping dx", i)
				}
			}
		}
	}
}

// TestDropout checks Dropout against its definition: identity at inference; in training
// each element is 0 or x/(1-rate), Backward applies the same mask, about rate of the
// elements are dropped, and a seeded layer repeats its masks.
func TestDropout(t *testing.T) {
	x := randTensor(NewRand(1), []int{64, 100}, 0.5, 1.5)
	seed := int64(42)
	l := NewDropout(0.3, DropoutOptions{Seed: &seed})
	build(t, l, []int{100})
	y, _ := l.Forward(x, false)
	if y != x {
		t.Fatal("inference Dropout is not the identity")
	}
	y, _ = l.Forward(x, true)
	dropped := 0
	for i, v := range y.Float32s() {
		xv := x.Float32s()[i]
		switch {
		case v == 0:
			dropped++
		case math.Abs(float64(v)-float64(xv)/0.7) > 1e-6*math.Abs(float64(v)):
			t.Fatalf("kept element %v, want %v/(1-0.3)", v, xv)
		}
	}
	if frac := float64(dropped) / float64(y.Len()); frac < 0.27 || frac > 0.33 {
		t.Errorf("dropped fraction %.3f, want about 0.3", frac)
	}
	dy := randTensor(NewRand(2), y.Shape, -1, 1)
	dx, _ := l.Backward(dy)
	for i, v := range dx.Float32s() {
		if (v == 0) != (y.Float32s()[i] == 0) || (v != 0 && math.Abs(float64(v)-float64(dy.Float32s()[i])/0.7) > 1e-6) {
			t.Fatalf("backward mask differs at %d", i)
		}
	}
	l2 := NewDropout(0.3, DropoutOptions{Seed: &seed})
	build(t, l2, []int{100})
	y2, _ := l2.Forward(x, true)
	for i := range y2.Float32s() {
		if y2.Float32s()[i] != y.Float32s()[i] {
			t.Fatal("same seed, different mask")
		}
	}
	if r, _ := NewDropout(0), 0; r.Rate() != 0 {
		t.Fatal("rate")
	}
}

// TestConvDirectMatchesIm2col compares the inference path (implicit im2col kernel with
// gathered borders) with the training path (explicit im2col + GEMM) over many geometries.
func TestConvDirectMatchesIm2col(t *testing.T) {
	rng := NewRand(11)
	n := 0
	for _, h := range []int{3, 5, 8, 13} {
		for _, w := range []int{4, 7, 16} {
			for _, k := range [][2]int{{1, 3}, {3, 3}, {2, 5}, {4, 1}} {
				for _, s := range [][2]int{{1, 1}, {2, 2}, {1, 3}} {
					for _, pad := range []string{"valid", "same"} {
						for _, f := range []int{8, 16, 24} {
							in := []int{h, w, 1 + rng.IntN(4)}
							l := NewConv2D(f, k, Conv2DOptions{Strides: s, Padding: pad, Activation: "tanh"})
							if _, err := l.OutputShape(in); err != nil {
								continue
							}
							build(t, l, in)
							x := randTensor(rng, append([]int{3}, in...), -1, 1)
							a, _ := l.Forward(x, false)
							b, _ := l.Forward(x, true)
							if d, at := maxAbsDiff(a.Float32s(), b.Float32s()); d > 1e-5 {
								t.Fatalf("in %v k %v s %v %s f %d: max diff %g at %d", in, k, s, pad, f, d, at)
							}
							n++
						}
					}
				}
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d geometries checked", n)
	}
}
