package model

import (
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestFoldedChainsSequential checks that a Sequential model's inference runs its
// [ZeroPadding2D →] convolution → BatchNormalization → [activation] chains as one layer each
// (inferFoldedSeq at each chain's start), that a chain whose activation it cannot take in
// stops at the normalisation, and that Predict gives what the layers one by one give (the
// forward pass without a workspace), bit for bit: the chains round as the layers do.
func TestFoldedChainsSequential(t *testing.T) {
	six := 6.0
	m := NewSequential(
		Input(16, 16, 6),
		layers.NewZeroPadding2D([2][2]int{{1, 1}, {1, 1}}),
		layers.NewDepthwiseConv2D([2]int{3, 3}, layers.DepthwiseConv2DOptions{NoBias: true}),
		layers.NewBatchNormalization(),
		layers.NewReLU(layers.ReLUOptions{MaxValue: &six}),
		layers.NewConv2D(8, [2]int{1, 1}, layers.Conv2DOptions{NoBias: true}),
		layers.NewBatchNormalization(),
		layers.NewActivation("relu"),
		layers.NewConv2D(5, [2]int{3, 3}, layers.Conv2DOptions{Padding: "same"}),
		layers.NewBatchNormalization(),
		layers.NewLeakyReLU(0.1), // not foldable: the chain stops at the normalisation
		layers.NewFlatten(),
		layers.NewDense(3, layers.DenseOptions{}),
	)
	// Normalisations that do something: random gamma, beta, mean and (positive) variance.
	rng := layers.NewRand(7)
	for _, l := range m.layers {
		if _, ok := l.(*layers.BatchNormalization); !ok {
			continue
		}
		for _, w := range l.Weights() {
			v := w.Value.Float32s()
			for i := range v {
				v[i] = rng.Uniform(-1, 1)
				if w.Name == "moving_variance" || w.Name == "gamma" {
					v[i] = rng.Uniform(0.5, 1.5)
				}
			}
		}
	}
	// Where the chains start, and how many layers each takes in.
	x := randomInput(3, 4, 16, 16, 6)
	ws := layers.NewWorkspace()
	h := x
	want := map[int]int{0: 4, 4: 3, 7: 2}
	for i := 0; i < len(m.layers); {
		y, k, err := inferFoldedSeq(ws, m.layers[i:], h)
		if err != nil {
			t.Fatal(err)
		}
		if k != want[i] {
			t.Fatalf("inferFoldedSeq at layer %d (%s) took %d layers, want %d", i, m.layers[i].Class(), k, want[i])
		}
		if k == 0 {
			if y, err = m.layers[i].Forward(h, false); err != nil {
				t.Fatal(err)
			}
			k = 1
		}
		h, i = y, i+k
	}
	got, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := m.forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.Float32s() {
		if v != ref.Float32s()[i] {
			t.Fatalf("[%d]: Predict %v, layer by layer %v", i, v, ref.Float32s()[i])
		}
	}
	for i, v := range h.Float32s() {
		if d := math.Abs(float64(v - ref.Float32s()[i])); d != 0 {
			t.Fatalf("[%d]: chains one by one %v, layer by layer %v", i, v, ref.Float32s()[i])
		}
	}
}

// TestMergeFoldsPredict checks that Predict of a Functional model runs Add → Activation("relu")
// and Multiply → ReLU as one layer each (planFolds: two merge chains; an Add read by two
// layers is not one), and predicts what the layers one by one do, bit for bit.
func TestMergeFoldsPredict(t *testing.T) {
	in := Input(12, 12, 8)
	x := MustApply(layers.NewConv2D(8, [2]int{3, 3}, layers.Conv2DOptions{Padding: "same"}), in.Output())
	x = MustApply(layers.NewAdd(), x, in.Output())
	x = MustApply(layers.NewActivation("relu"), x) // chain 1
	g := MustApply(layers.NewConv2D(8, [2]int{1, 1}, layers.Conv2DOptions{Activation: "sigmoid"}), x)
	y := MustApply(layers.NewMultiply(), x, g)
	y = MustApply(layers.NewReLU(), y) // chain 2
	s := MustApply(layers.NewAdd(), y, x)
	a := MustApply(layers.NewReLU(), s)
	b := MustApply(layers.NewConv2D(8, [2]int{1, 1}, layers.Conv2DOptions{}), s) // s has two readers
	out := MustApply(layers.NewGlobalAveragePooling2D(), MustApply(layers.NewAdd(), a, b))
	m, err := NewModel([]*KerasTensor{in.Output()}, []*KerasTensor{out})
	if err != nil {
		t.Fatal(err)
	}
	r := newFnRun().(*fnRun)
	m.fn.planFolds(r)
	if len(r.mfolds) != 2 {
		t.Fatalf("planFolds: %d merge chains, want 2", len(r.mfolds))
	}
	xin := randomInput(4, 3, 12, 12, 8)
	got, err := m.Predict(xin)
	if err != nil {
		t.Fatal(err)
	}
	ys, _, err := m.fn.forward([]*tensor.Tensor{xin}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range ys[0].Float32s() {
		if got.Float32s()[i] != v {
			t.Fatalf("[%d] = %v folded, %v layer by layer", i, got.Float32s()[i], v)
		}
	}
}
