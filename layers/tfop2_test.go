package layers

import (
	"errors"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestTFOp2 checks an operation on two tensors outside a model: broadcast forward and its
// gradients (summed over the broadcast axis) against finite differences, the refusals (other
// ranks: ErrUnsupported; shapes that do not broadcast: ErrShape; one input; a constant in a
// two-tensor call), the call arguments, and the class in each dialect.
func TestTFOp2(t *testing.T) {
	if _, err := NewTFOp2("relu"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("NewTFOp2(relu): err = %v, want ErrUnsupported", err)
	}
	for _, op := range []string{"add", "subtract", "multiply", "divide"} {
		l, err := NewTFOp2(op)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.OutputShapeN([][]int{{2, 3}, {3}}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: ranks 2 and 1: err = %v, want ErrUnsupported", op, err)
		}
		if _, err := l.OutputShapeN([][]int{{2, 3}, {2, 2}}); !errors.Is(err, ErrShape) {
			t.Errorf("%s: (2, 3) and (2, 2): err = %v, want ErrShape", op, err)
		}
		if _, err := l.Forward(tensor.MustFromFloat32([]int{1, 3}, []float32{1, 2, 3}), false); err == nil {
			t.Errorf("%s: Forward on one input: no error", op)
		}
		if err := l.SetCallArgs([]CallArg{{Tensor: true}, {Value: 2.0}}, nil, saved.Keras3); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: a constant in the call: err = %v", op, err)
		}
		if err := l.BuildN([][]int{{2, 3}, {2, 1}}, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		a := tensor.MustFromFloat32([]int{2, 2, 3}, []float32{1, 2, 3, 4, 5, 6, -1, -2, -3, 0.5, 1.5, 2.5})
		b := tensor.MustFromFloat32([]int{2, 2, 1}, []float32{2, -3, 0.5, 4})
		y, err := l.ForwardN([]*tensor.Tensor{a, b}, true)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.SameShape(y.Shape, []int{2, 2, 3}) {
			t.Fatalf("%s: output shape %v", op, y.Shape)
		}
		// loss = sum(y * w) with fixed w; dL/dy = w
		w := make([]float32, y.Len())
		for i := range w {
			w[i] = float32(i%5) - 1.5
		}
		dxs, err := l.BackwardN(tensor.MustFromFloat32(y.Shape, w))
		if err != nil {
			t.Fatal(err)
		}
		loss := func() float64 {
			y, err := l.ForwardN([]*tensor.Tensor{a, b}, false)
			if err != nil {
				t.Fatal(err)
			}
			s := 0.0
			for i, v := range y.Float32s() {
				s += float64(v) * float64(w[i])
			}
			return s
		}
		for k, x := range []*tensor.Tensor{a, b} {
			for i := range x.Float32s() {
				v := x.Float32s()[i]
				const h = 1e-2
				x.Float32s()[i] = v + h
				up := loss()
				x.Float32s()[i] = v - h
				down := loss()
				x.Float32s()[i] = v
				num, got := (up-down)/(2*h), float64(dxs[k].Float32s()[i])
				if d := num - got; d > 1e-2*(1+abs64(num)) || -d > 1e-2*(1+abs64(num)) {
					t.Errorf("%s: d/dinput%d[%d] = %v, finite differences %v", op, k, i, got, num)
				}
			}
		}
		if c := ClassIn(l, saved.Keras2); c != TFOpClass {
			t.Errorf("%s: tf_keras class %s", op, c)
		}
		if c := ClassIn(l, saved.Keras3); c == TFOpClass || c == "" {
			t.Errorf("%s: Keras 3 class %s", op, c)
		}
	}
}

func abs64(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
