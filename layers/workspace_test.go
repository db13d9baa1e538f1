package layers

import (
	"math"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestMergeInferSame checks the element-wise merges' workspace path for inputs of one shape
// (no broadcasting) against their general ForwardN, bit for bit, with 2 and 3 inputs (a NaN
// among them for Maximum and Minimum), and that the workspace result is reused.
func TestMergeInferSame(t *testing.T) {
	rng := NewRand(21)
	for _, c := range []struct {
		l MultiInput
		n int
	}{
		{NewAdd(), 3}, {NewSubtract(), 2}, {NewMultiply(), 3}, {NewAverage(), 3},
		{NewMaximum(), 3}, {NewMinimum(), 3}, {NewAdd(), 2},
	} {
		shapes := make([][]int, c.n)
		for i := range shapes {
			shapes[i] = []int{5, 7}
		}
		if err := c.l.BuildN(shapes, rng); err != nil {
			t.Fatal(err)
		}
		xs := make([]*tensor.Tensor, c.n)
		for i := range xs {
			xs[i] = uniformTensor(rng, 4, 5, 7)
		}
		xs[1].Float32s()[3] = float32(math.NaN())
		want, err := c.l.ForwardN(xs, false)
		if err != nil {
			t.Fatal(err)
		}
		ws := NewWorkspace()
		got, err := InferN(ws, c.l, xs)
		if err != nil {
			t.Fatal(err)
		}
		same := func(a, b []float32) bool {
			return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
		}
		if !slices.Equal(got.Shape, want.Shape) || !same(got.Float32s(), want.Float32s()) {
			t.Errorf("%s of %d inputs: workspace path differs from ForwardN", c.l.Class(), c.n)
		}
		again, _ := InferN(ws, c.l, xs)
		if &again.Float32s()[0] != &got.Float32s()[0] {
			t.Errorf("%s: the workspace output buffer is not reused", c.l.Class())
		}
	}
}
