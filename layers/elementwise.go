package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/tensor"
)

// ewise is the shared part of the layers without weights whose output has the input's shape
// (ReLU, LeakyReLU, ELU, Softmax, the noise layers, ActivityRegularization): it records the
// input shape and caches the last training Forward's input and output for Backward.
type ewise struct {
	base
	class string
	x, y  *tensor.Tensor
}

// SetTrainable sets Keras's layer.trainable (no effect: the layer has no weights).
func (e *ewise) SetTrainable(t bool) { e.trainable = t }

// OutputShape returns the input shape.
func (e *ewise) OutputShape(in []int) ([]int, error) { return slices.Clone(in), nil }

// Build records the input shape.
func (e *ewise) Build(in []int, _ *Rand) error {
	e.inShape = slices.Clone(in)
	return nil
}

// Weights returns nil.
func (e *ewise) Weights() []*Weight { return nil }

// ParamCount returns 0 (no weights).
func (e *ewise) ParamCount(in []int) (int64, error) { return 0, nil }

// forward checks x, computes f(x, y) into a new tensor and caches x and y when training.
func (e *ewise) forward(x *tensor.Tensor, training bool, f func(x, y []float32)) (*tensor.Tensor, error) {
	if err := checkInput(x, e.inShape, e.class, e.name); err != nil {
		return nil, err
	}
	y := make([]float32, x.Len())
	f(x.Float32s(), y)
	out := tensor.MustFromFloat32(x.Shape, y)
	if training {
		e.x, e.y = x, out
	} else {
		e.x, e.y = nil, nil
	}
	return out, nil
}

// backward checks dy against the cached output and computes dx with f(x, y, dy, dx).
func (e *ewise) backward(dy *tensor.Tensor, f func(x, y, dy, dx []float32)) (*tensor.Tensor, error) {
	if e.y == nil {
		return nil, layerErr(ErrShape, e.class, e.name, "Backward without a training Forward")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, e.y.Shape) {
		var s []int
		if dy != nil {
			s = dy.Shape
		}
		return nil, layerErr(ErrShape, e.class, e.name, "dy shape %s, want %s", tensor.ShapeString(s), tensor.ShapeString(e.y.Shape))
	}
	dx := make([]float32, dy.Len())
	f(e.x.Float32s(), e.y.Float32s(), dy.Float32s(), dx)
	return tensor.MustFromFloat32(dy.Shape, dx), nil
}

// f32 rounds v to float32 and back, as tf_keras's cast_to_floatx stores layer arguments
// (LeakyReLU alpha 0.3 is written 0.30000001192092896).
func f32(v float64) float64 { return float64(float32(v)) }
