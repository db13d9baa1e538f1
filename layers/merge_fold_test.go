package layers

import (
	"fmt"
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestInferMergeAct checks Add/Multiply → activation as one layer against the two layers
// run one after the other (ForwardN, then Forward), bit for bit: inputs of one shape (small,
// and large enough to run in parallel chunks) and broadcast ones (per channel, and general).
func TestInferMergeAct(t *testing.T) {
	six := 6.0
	acts := map[string]func() Layer{
		"ReLU":               func() Layer { return NewReLU() },
		"ReLU max 6":         func() Layer { return NewReLU(ReLUOptions{MaxValue: &six}) },
		"Activation relu":    func() Layer { return NewActivation("relu") },
		"Activation sigmoid": func() Layer { return NewActivation("sigmoid") },
		"Activation tanh":    func() Layer { return NewActivation("tanh") },
		"Activation linear":  func() Layer { return NewActivation("linear") },
	}
	merges := map[string]func() Layer{
		"Add":      func() Layer { return NewAdd() },
		"Multiply": func() Layer { return NewMultiply() },
	}
	shapes := [][2][]int{
		{{2, 3, 5, 7}, {2, 3, 5, 7}},
		{{3, 29, 31, 40}, {3, 29, 31, 40}},
		{{3, 29, 31, 40}, {3, 1, 1, 40}},
		{{2, 5, 6}, {2, 1, 6}},
	}
	rng := NewRand(9)
	for mn, mk := range merges {
		for an, ak := range acts {
			for _, sh := range shapes {
				t.Run(fmt.Sprintf("%s %s %v %v", mn, an, sh[0], sh[1]), func(t *testing.T) {
					m, a := mk(), ak()
					if err := m.(MultiInput).BuildN([][]int{sh[0][1:], sh[1][1:]}, nil); err != nil {
						t.Fatal(err)
					}
					out, err := m.(MultiInput).OutputShapeN([][]int{sh[0][1:], sh[1][1:]})
					if err != nil {
						t.Fatal(err)
					}
					if err := a.Build(out, nil); err != nil {
						t.Fatal(err)
					}
					if !CanFoldMerge(m, a) {
						t.Fatal("CanFoldMerge refused")
					}
					xs := make([]*tensor.Tensor, 2)
					for i, s := range sh {
						n := 1
						for _, d := range s {
							n *= d
						}
						d := make([]float32, n)
						for j := range d {
							d[j] = rng.Uniform(-4, 4)
						}
						xs[i] = tensor.MustFromFloat32(s, d)
					}
					z, err := m.(MultiInput).ForwardN(xs, false)
					if err != nil {
						t.Fatal(err)
					}
					want, err := a.Forward(z, false)
					if err != nil {
						t.Fatal(err)
					}
					ws := NewWorkspace()
					for call := range 2 {
						got, err := InferMergeAct(ws, m, a, xs)
						if err != nil {
							t.Fatal(err)
						}
						if !tensor.SameShape(got.Shape, want.Shape) {
							t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
						}
						g, w := got.Float32s(), want.Float32s()
						for i := range w {
							if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
								t.Fatalf("call %d [%d] = %v, two layers %v", call, i, g[i], w[i])
							}
						}
					}
				})
			}
		}
	}
}

// TestCanFoldMerge checks what the merge chains refuse: an activation that works on rows
// (softmax), one FoldActivation does not take (LeakyReLU), and merges other than Add and
// Multiply.
func TestCanFoldMerge(t *testing.T) {
	if CanFoldMerge(NewAdd(), NewActivation("softmax")) {
		t.Error("Add → softmax folded")
	}
	if CanFoldMerge(NewAdd(), NewActivation("swish")) {
		t.Error("Add → swish folded (it needs its input beside its output)")
	}
	if CanFoldMerge(NewAdd(), NewLeakyReLU(0.2)) {
		t.Error("Add → LeakyReLU folded")
	}
	if CanFoldMerge(NewSubtract(), NewReLU()) {
		t.Error("Subtract → ReLU folded")
	}
	if !CanFoldMerge(NewMultiply(), NewActivation("sigmoid")) {
		t.Error("Multiply → sigmoid not folded")
	}
}
