package matconv

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/kerasgo/kerasgo/tensor"
)

func TestRoundTrip(t *testing.T) {
	x := tensor.MustFromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, float32(math.Inf(-1))})
	d, err := ToDense(x)
	if err != nil {
		t.Fatal(err)
	}
	if r, c := d.Dims(); r != 2 || c != 3 || d.At(1, 0) != 4 || !math.IsInf(d.At(1, 2), -1) {
		t.Fatalf("ToDense = %v", mat.Formatted(d))
	}
	d.Set(0, 0, 9) // a copy: the tensor keeps its value
	if x.Float32s()[0] != 1 {
		t.Error("ToDense shares the tensor's data")
	}
	back := FromMatrix(d)
	if back.DType != tensor.Float32 || back.Shape[0] != 2 || back.Shape[1] != 3 {
		t.Fatalf("FromMatrix: %v %v", back.DType, back.Shape)
	}
	if got := back.Float32s(); got[0] != 9 || got[4] != 5 {
		t.Errorf("FromMatrix values %v", got)
	}
}

func TestFromMatrixViews(t *testing.T) {
	d := mat.NewDense(3, 3, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8})
	v := d.Slice(1, 3, 1, 3) // a view with stride 3: [[4 5] [7 8]]
	if got := FromMatrix(v).Float32s(); got[0] != 4 || got[1] != 5 || got[2] != 7 || got[3] != 8 {
		t.Errorf("view: %v", got)
	}
	if got := FromMatrix(d.T()).Float32s(); got[1] != 3 || got[3] != 1 {
		t.Errorf("transpose: %v", got)
	}
	if e := FromMatrix(&mat.Dense{}); len(e.Shape) != 2 || e.Shape[0] != 0 || e.Len() != 0 {
		t.Errorf("empty: %v", e.Shape)
	}
	// float64 values round to the nearest float32.
	if got := FromMatrix(mat.NewDense(1, 1, []float64{0.1})).Float32s()[0]; got != float32(0.1) {
		t.Errorf("0.1 became %v", got)
	}
}

func TestToDenseDTypes(t *testing.T) {
	exact := []float64{0.1, -1e300}
	d, err := ToDense(&tensor.Tensor{DType: tensor.Float64, Shape: []int{1, 2}, Data: exact})
	if err != nil || d.At(0, 0) != 0.1 || d.At(0, 1) != -1e300 {
		t.Errorf("float64 is not copied exactly: %v", err)
	}
	if d, err := ToDense(&tensor.Tensor{DType: tensor.Int64, Shape: []int{2, 1}, Data: []int64{7, -3}}); err != nil || d.At(1, 0) != -3 {
		t.Errorf("int64: %v", err)
	}
	for _, c := range []struct {
		x    *tensor.Tensor
		want error
	}{
		{nil, ErrShape},
		{tensor.Zeros(2, 2, 2), ErrShape},
		{tensor.Zeros(4), ErrShape},
		{tensor.Zeros(0, 3), ErrShape},
		{&tensor.Tensor{DType: tensor.Bool, Shape: []int{1, 1}, Data: []bool{true}}, tensor.ErrUnsupported},
		{&tensor.Tensor{DType: tensor.Float32, Shape: []int{2, 2}, Data: []float32{1}}, tensor.ErrShape},
		{&tensor.Tensor{DType: tensor.Float64, Shape: []int{2, 2}, Data: []float64{1}}, tensor.ErrShape},
	} {
		if _, err := ToDense(c.x); !errors.Is(err, c.want) {
			t.Errorf("ToDense(%v): err = %v, want %v", c.x, err, c.want)
		}
	}
}
