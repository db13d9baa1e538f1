// Package matconv converts between kerasgo's tensors and gonum matrices (package
// gonum.org/v1/gonum/mat), for programs that prepare inputs or analyse outputs with gonum.
// It is a package of its own so that package tensor, which every codec uses, does not depend
// on gonum.
//
// Only 2-D tensors correspond to matrices: a (rows, cols) tensor is a rows×cols matrix, in
// the same row-major order. Models compute in float32 and gonum in float64: ToDense widens
// exactly; FromMatrix rounds each value to the nearest float32 (values beyond float32's range
// become ±Inf).
package matconv

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/kerasgo/kerasgo/tensor"
)

// ErrShape reports a tensor that is not a matrix gonum can hold: not 2-D, or with a zero
// dimension (gonum has no empty matrices).
var ErrShape = errors.New("matconv: not a matrix")

// ToDense returns a new rows×cols matrix holding the values of a 2-D tensor of any real
// dtype (float32, float64, the integer types, float16, bfloat16). Other ranks, zero
// dimensions and other dtypes are errors; ToDense never panics.
func ToDense(t *tensor.Tensor) (*mat.Dense, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: nil tensor", ErrShape)
	}
	if len(t.Shape) != 2 {
		return nil, fmt.Errorf("%w: rank-%d tensor of shape %v (want 2-D)", ErrShape, len(t.Shape), t.Shape)
	}
	r, c := t.Shape[0], t.Shape[1]
	if r <= 0 || c <= 0 {
		return nil, fmt.Errorf("%w: shape %v has a zero dimension", ErrShape, t.Shape)
	}
	data := make([]float64, 0, r*c)
	if x, ok := t.Data.([]float64); ok && t.DType == tensor.Float64 {
		if len(x) != r*c {
			return nil, fmt.Errorf("matconv: float64 tensor of shape %v holds %d values: %w", t.Shape, len(x), tensor.ErrShape)
		}
		data = append(data, x...)
	} else {
		f, err := t.AsFloat32()
		if err != nil {
			return nil, fmt.Errorf("matconv: %w", err)
		}
		for _, v := range f {
			data = append(data, float64(v))
		}
	}
	return mat.NewDense(r, c, data), nil
}

// FromMatrix returns a new float32 tensor of shape (rows, cols) holding m's values rounded to
// float32. m may be any gonum matrix (a *mat.Dense, a view, a transpose, ...); an empty
// *mat.Dense gives a (0, 0) tensor.
func FromMatrix(m mat.Matrix) *tensor.Tensor {
	r, c := m.Dims()
	out := make([]float32, r*c)
	if d, ok := m.(*mat.Dense); ok && !d.IsEmpty() {
		raw := d.RawMatrix()
		for i := range r {
			row := raw.Data[i*raw.Stride : i*raw.Stride+c]
			for j, v := range row {
				out[i*c+j] = float32(v)
			}
		}
	} else if r > 0 && c > 0 {
		for i := range r {
			for j := range c {
				out[i*c+j] = float32(m.At(i, j))
			}
		}
	}
	return tensor.MustFromFloat32([]int{r, c}, out)
}
