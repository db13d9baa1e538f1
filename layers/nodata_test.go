package layers

import (
	"errors"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestBuildNoData: with a NoData source, Build gives every weight its shape and no data, and
// SetValue adopts a float32 tensor of that shape (and refuses another shape or dtype).
func TestBuildNoData(t *testing.T) {
	for _, l := range []Layer{
		NewDense(7),
		NewConv2D(3, [2]int{2, 2}),
		NewBatchNormalization(),
	} {
		in := []int{5, 5, 4}
		if err := l.Build(in, NewRand(1).NoData()); err != nil {
			t.Fatal(err)
		}
		for _, w := range l.Weights() {
			if w.Value.Len() == 0 || len(w.Value.Float32s()) != 0 {
				t.Fatalf("%s %s: shape %v, %d values", l.Class(), w.Name, w.Value.Shape, len(w.Value.Float32s()))
			}
			bad := tensor.MustFromFloat32([]int{w.Value.Len() + 1}, make([]float32, w.Value.Len()+1))
			if err := w.SetValue(bad); !errors.Is(err, ErrShape) {
				t.Errorf("%s %s: SetValue of shape %v: %v", l.Class(), w.Name, bad.Shape, err)
			}
			f64, _ := tensor.New(tensor.Float64, w.Value.Shape)
			if err := w.SetValue(f64); !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s %s: SetValue of float64: %v", l.Class(), w.Name, err)
			}
			v := tensor.MustFromFloat32(w.Value.Shape, make([]float32, w.Value.Len()))
			if err := w.SetValue(v); err != nil || w.Value != v {
				t.Errorf("%s %s: SetValue: %v, adopted %v", l.Class(), w.Name, err, w.Value == v)
			}
		}
		x := tensor.MustFromFloat32([]int{1, 5, 5, 4}, make([]float32, 100))
		if _, err := l.Forward(x, false); err != nil {
			t.Errorf("%s after SetValue: %v", l.Class(), err)
		}
	}
}
