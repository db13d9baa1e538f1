package layers

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Tests of DepthwiseConv2D, SeparableConv2D and Conv2DTranspose: numerical gradients at odd
// sizes with strides, both paddings, dilation and depth multipliers, and forward passes
// checked against the grouped Conv2D (an independent code path).

func TestGradDepthwiseConv2D(t *testing.T) {
	cases := []struct {
		in      []int
		k, s, d [2]int
		dm      int
		pad     string
		act     string
		nobias  bool
	}{
		{[]int{7, 6, 3}, [2]int{3, 3}, [2]int{1, 1}, [2]int{1, 1}, 1, "valid", "tanh", false},
		{[]int{7, 7, 2}, [2]int{3, 2}, [2]int{2, 2}, [2]int{1, 1}, 2, "same", "linear", false},
		{[]int{8, 9, 3}, [2]int{3, 3}, [2]int{1, 1}, [2]int{2, 3}, 2, "same", "sigmoid", true},
		{[]int{9, 7, 2}, [2]int{2, 3}, [2]int{1, 1}, [2]int{2, 2}, 3, "valid", "softplus", false},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			l := build(t, NewDepthwiseConv2D(c.k, DepthwiseConv2DOptions{Strides: c.s, DilationRate: c.d,
				DepthMultiplier: c.dm, Padding: c.pad, Activation: c.act, NoBias: c.nobias}), c.in)
			gradCheck(t, l, randTensor(NewRand(uint64(i)), append([]int{3}, c.in...), -1, 1), 1e-2)
		})
	}
}

// closeTo fails the test when a and b differ by more than tol anywhere.
func closeTo(t *testing.T, what string, a, b *tensor.Tensor, tol float64) {
	t.Helper()
	if !tensor.SameShape(a.Shape, b.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, a.Shape, b.Shape)
	}
	bd := b.Float32s()
	for i, v := range a.Float32s() {
		if math.Abs(float64(v-bd[i])) > tol {
			t.Fatalf("%s[%d] = %g, want %g", what, i, v, bd[i])
		}
	}
}

// TestDepthwiseMatchesGroupedConv2D checks DepthwiseConv2D against Conv2D with one group per
// input channel: the kernel (kh, kw, c, dm) has the memory layout of (kh, kw, 1, c·dm).
func TestDepthwiseMatchesGroupedConv2D(t *testing.T) {
	for i, c := range []struct {
		in      []int
		k, s, d [2]int
		dm      int
		pad     string
	}{
		{[]int{9, 8, 3}, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}, 2, "same"},
		{[]int{7, 9, 4}, [2]int{2, 3}, [2]int{1, 1}, [2]int{2, 2}, 1, "valid"},
		{[]int{6, 6, 2}, [2]int{3, 3}, [2]int{1, 1}, [2]int{2, 1}, 3, "same"},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			dw := build(t, NewDepthwiseConv2D(c.k, DepthwiseConv2DOptions{Strides: c.s, DilationRate: c.d,
				DepthMultiplier: c.dm, Padding: c.pad, Activation: "relu"}), c.in)
			cv := build(t, NewConv2D(c.in[2]*c.dm, c.k, Conv2DOptions{Strides: c.s, DilationRate: c.d,
				Groups: c.in[2], Padding: c.pad, Activation: "relu"}), c.in)
			for j, w := range dw.Weights() {
				copy(cv.Weights()[j].Value.Float32s(), w.Value.Float32s())
			}
			x := randTensor(NewRand(uint64(i)), append([]int{2}, c.in...), -1, 1)
			a, err := dw.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			b, err := cv.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "y", a, b, 1e-5)
		})
	}
}

func TestGradSeparableConv2D(t *testing.T) {
	cases := []struct {
		in      []int
		f       int
		k, s, d [2]int
		dm      int
		pad     string
		act     string
		nobias  bool
	}{
		{[]int{7, 6, 3}, 4, [2]int{3, 3}, [2]int{1, 1}, [2]int{1, 1}, 1, "valid", "tanh", false},
		{[]int{7, 7, 2}, 3, [2]int{3, 2}, [2]int{2, 2}, [2]int{1, 1}, 2, "same", "linear", false},
		{[]int{8, 9, 3}, 2, [2]int{3, 3}, [2]int{1, 1}, [2]int{2, 2}, 2, "same", "sigmoid", true},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			l := build(t, NewSeparableConv2D(c.f, c.k, SeparableConv2DOptions{Strides: c.s, DilationRate: c.d,
				DepthMultiplier: c.dm, Padding: c.pad, Activation: c.act, NoBias: c.nobias}), c.in)
			gradCheck(t, l, randTensor(NewRand(uint64(i)), append([]int{3}, c.in...), -1, 1), 1e-2)
		})
	}
}

// TestSeparableIsDepthwiseThenPointwise checks SeparableConv2D against DepthwiseConv2D followed
// by a 1×1 Conv2D with the same weights.
func TestSeparableIsDepthwiseThenPointwise(t *testing.T) {
	in := []int{9, 7, 3}
	sep := build(t, NewSeparableConv2D(5, [2]int{3, 3}, SeparableConv2DOptions{Strides: [2]int{2, 2},
		DepthMultiplier: 2, Padding: "same", Activation: "relu"}), in)
	dw := build(t, NewDepthwiseConv2D([2]int{3, 3}, DepthwiseConv2DOptions{Strides: [2]int{2, 2},
		DepthMultiplier: 2, Padding: "same", NoBias: true}), in)
	mid, _ := dw.OutputShape(in)
	pw := build(t, NewConv2D(5, [2]int{1, 1}, Conv2DOptions{Activation: "relu"}), mid)
	sw := sep.Weights()
	copy(dw.Weights()[0].Value.Float32s(), sw[0].Value.Float32s())
	copy(pw.Weights()[0].Value.Float32s(), sw[1].Value.Float32s())
	copy(pw.Weights()[1].Value.Float32s(), sw[2].Value.Float32s())
	x := randTensor(NewRand(3), append([]int{2}, in...), -1, 1)
	a, err := sep.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	m, err := dw.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pw.Forward(m, false)
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "y", a, b, 1e-5)
}

func TestGradConv2DTranspose(t *testing.T) {
	cases := []struct {
		in     []int
		f      int
		k, s   [2]int
		op     *[2]int
		pad    string
		act    string
		nobias bool
		dil    [2]int
	}{
		{[]int{4, 5, 3}, 2, [2]int{3, 3}, [2]int{1, 1}, nil, "valid", "tanh", false, [2]int{}},
		{[]int{3, 4, 2}, 2, [2]int{3, 2}, [2]int{1, 1}, nil, "valid", "tanh", false, [2]int{2, 3}},
		{[]int{4, 3, 2}, 3, [2]int{2, 3}, [2]int{1, 1}, nil, "same", "linear", true, [2]int{2, 2}},
		{[]int{4, 3, 2}, 3, [2]int{3, 2}, [2]int{2, 2}, nil, "same", "linear", false, [2]int{}},
		{[]int{3, 4, 2}, 2, [2]int{3, 3}, [2]int{2, 3}, &[2]int{1, 2}, "same", "sigmoid", true, [2]int{}},
		{[]int{3, 3, 2}, 2, [2]int{2, 3}, [2]int{3, 2}, &[2]int{2, 1}, "valid", "softplus", false, [2]int{}},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			l := build(t, NewConv2DTranspose(c.f, c.k, Conv2DTransposeOptions{Strides: c.s, OutputPadding: c.op,
				Padding: c.pad, Activation: c.act, NoBias: c.nobias, DilationRate: c.dil}), c.in)
			gradCheck(t, l, randTensor(NewRand(uint64(i)), append([]int{2}, c.in...), -1, 1), 1e-2)
		})
	}
}

// TestConv2DTransposeIsAdjoint checks ⟨T(x), u⟩ = ⟨x, C(u)⟩ where T is the Conv2DTranspose
// (no bias) and C the Conv2D with the same kernel from T's output shape back to its input's.
func TestConv2DTransposeIsAdjoint(t *testing.T) {
	for i, c := range []struct {
		in   []int
		f    int
		k, s [2]int
		op   *[2]int
		pad  string
		want []int
	}{
		{[]int{5, 4, 3}, 2, [2]int{3, 3}, [2]int{2, 2}, nil, "valid", []int{11, 9, 2}},
		{[]int{5, 4, 3}, 2, [2]int{3, 3}, [2]int{2, 2}, nil, "same", []int{10, 8, 2}},
		{[]int{5, 4, 3}, 2, [2]int{3, 3}, [2]int{2, 2}, &[2]int{1, 0}, "same", []int{10, 7, 2}},
		{[]int{3, 3, 2}, 3, [2]int{2, 2}, [2]int{3, 3}, nil, "valid", []int{9, 9, 3}},
		{[]int{3, 3, 2}, 3, [2]int{4, 4}, [2]int{2, 2}, &[2]int{1, 1}, "valid", []int{9, 9, 3}},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			tr := build(t, NewConv2DTranspose(c.f, c.k, Conv2DTransposeOptions{Strides: c.s, OutputPadding: c.op,
				Padding: c.pad, NoBias: true}), c.in)
			out, err := tr.OutputShape(c.in)
			if err != nil || fmt.Sprint(out) != fmt.Sprint(c.want) {
				t.Fatalf("output shape %v (%v), want %v", out, err, c.want)
			}
			cv := build(t, NewConv2D(c.in[2], c.k, Conv2DOptions{Strides: c.s, Padding: c.pad, NoBias: true}), out)
			copy(cv.Weights()[0].Value.Float32s(), tr.Weights()[0].Value.Float32s())
			x := randTensor(NewRand(uint64(i)), append([]int{2}, c.in...), -1, 1)
			u := randTensor(NewRand(uint64(i+50)), append([]int{2}, out...), -1, 1)
			tx, err := tr.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			cu, err := cv.Forward(u, false)
			if err != nil {
				t.Fatal(err)
			}
			a, b := projLoss(tx, u.Float32s()), projLoss(x, cu.Float32s())
			if math.Abs(a-b) > 1e-4*(1+math.Abs(a)) {
				t.Fatalf("<T(x), u> = %g, <x, C(u)> = %g", a, b)
			}
		})
	}
}

// TestConv2DFamilyAliasesAndRefusals reads the classes under their old Keras names and checks
// the refusals of options Keras refuses or kerasgo does not implement.
func TestConv2DFamilyAliasesAndRefusals(t *testing.T) {
	for alias, want := range map[string]string{"SeparableConvolution2D": "SeparableConv2D",
		"Convolution2DTranspose": "Conv2DTranspose", "Deconvolution2D": "Conv2DTranspose", "Deconv2D": "Conv2DTranspose"} {
		l, _, err := FromConfig(alias, map[string]any{"name": "x", "filters": 2.0, "kernel_size": []any{3.0, 3.0}}, saved.Keras2)
		if err != nil || l.Class() != want {
			t.Errorf("%s: %v %v, want a %s", alias, l, err, want)
		}
	}
	bad := []struct {
		class string
		cfg   map[string]any
		want  error
	}{
		{"Conv2DTranspose", map[string]any{"filters": 2.0, "kernel_size": 3.0, "strides": 2.0, "output_padding": 2.0}, ErrFormat},
		{"Conv2DTranspose", map[string]any{"filters": 2.0, "kernel_size": 3.0, "strides": 2.0, "dilation_rate": 2.0}, ErrFormat},
		{"DepthwiseConv2D", map[string]any{"kernel_size": 3.0, "strides": 2.0, "dilation_rate": 2.0}, ErrFormat},
		{"DepthwiseConv2D", map[string]any{"kernel_size": 3.0, "groups": 2.0}, ErrUnsupported},
		{"DepthwiseConv2D", map[string]any{"strides": 2.0}, ErrFormat},
		{"SeparableConv2D", map[string]any{"kernel_size": 3.0}, ErrFormat},
		{"SeparableConv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "depth_multiplier": 0.0}, ErrFormat},
	}
	for i, c := range bad {
		if _, _, err := FromConfig(c.class, c.cfg, saved.Keras3); !errors.Is(err, c.want) {
			t.Errorf("%d %s %v: error %v, want %v", i, c.class, c.cfg, err, c.want)
		}
	}
	// An output size that does not convolve back to the input (even kernel, "same", output
	// padding 0) is a shape error, not a panic.
	l := NewConv2DTranspose(2, [2]int{2, 2}, Conv2DTransposeOptions{Strides: [2]int{2, 2}, Padding: "same", OutputPadding: &[2]int{0, 0}})
	if _, err := l.OutputShape([]int{4, 4, 1}); !errors.Is(err, ErrShape) {
		t.Errorf("even kernel, same, output_padding 0: %v, want ErrShape", err)
	}
}

// TestConv2DFamilyGraphOps checks the op types of each class's TF graph against those of
// tf_keras 2.21's SavedModel of the same layer (its unused Shape/dilation_rate constants
// aside), and that Conv2DBackpropInput gets the output size Keras computes.
func TestConv2DFamilyGraphOps(t *testing.T) {
	op1 := [2]int{1, 1}
	cases := []struct {
		l    Layer
		in   []int
		want []string
	}{
		{NewDepthwiseConv2D([2]int{3, 3}, DepthwiseConv2DOptions{DepthMultiplier: 2, Padding: "same"}), []int{7, 7, 3},
			[]string{"ReadVariableOp", "DepthwiseConv2dNative", "ReadVariableOp", "BiasAdd"}},
		{NewDepthwiseConv2D([2]int{3, 3}, DepthwiseConv2DOptions{DilationRate: [2]int{2, 2}, Activation: "relu"}), []int{7, 7, 3},
			[]string{"ReadVariableOp", "Const", "Const", "SpaceToBatchND", "DepthwiseConv2dNative", "Const", "Const", "BatchToSpaceND", "ReadVariableOp", "BiasAdd", "Relu"}},
		{NewSeparableConv2D(4, [2]int{3, 3}, SeparableConv2DOptions{Strides: [2]int{2, 2}, Padding: "same", Activation: "relu"}), []int{7, 7, 3},
			[]string{"ReadVariableOp", "ReadVariableOp", "DepthwiseConv2dNative", "Conv2D", "ReadVariableOp", "BiasAdd", "Relu"}},
		{NewConv2DTranspose(4, [2]int{3, 3}, Conv2DTransposeOptions{Strides: [2]int{2, 2}, Padding: "same", OutputPadding: &op1}), []int{7, 7, 3},
			[]string{"Shape", "Const", "Const", "Const", "StridedSlice", "Const", "Const", "ConcatV2", "ReadVariableOp", "Conv2DBackpropInput", "ReadVariableOp", "BiasAdd"}},
	}
	for i, c := range cases {
		if err := c.l.Build(c.in, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		g, err := c.l.(Grapher).Graph()
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		var types []string
		for _, op := range g.Ops {
			types = append(types, op.Type)
			if op.Type == "Const" && op.Name == "stack/rest" {
				if v := op.Attrs["value"].Tensor.Data.([]int32); fmt.Sprint(v) != "[14 14 4]" {
					t.Errorf("Conv2DBackpropInput output size %v, want [14 14 4]", v)
				}
			}
		}
		if fmt.Sprint(types) != fmt.Sprint(c.want) {
			t.Errorf("%d %s: ops %v, want %v", i, c.l.Class(), types, c.want)
		}
	}
}
