package model

import (
	"fmt"
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// InputLayer declares a model's input shape, as keras.Input(shape=...) does. Give it as the
// first layer of NewSequential or Add; the model keeps the shape and name and does not list
// it in Layers (Keras's Sequential.layers leaves its InputLayer out too).
//
// It implements layers.Layer (as the identity) only so that it can be passed where layers
// go.
type InputLayer struct {
	name  string
	shape []int        // without the batch dimension
	batch int          // the batch dimension, -1 for None
	out   *KerasTensor // the Functional API's tensor (Output), created on first use
}

// Input returns an InputLayer for inputs of the given shape, without the batch dimension:
// Input(32, 32, 3) is keras.Input(shape=(32, 32, 3)). It panics if a dimension is below 1.
func Input(shape ...int) *InputLayer {
	for _, d := range shape {
		if d < 1 {
			panic(fmt.Sprintf("model.Input: dimension %d in %v", d, shape))
		}
	}
	return &InputLayer{shape: slices.Clone(shape), batch: -1}
}

// WithName sets the InputLayer's name (keras.Input(name=...)) and returns l.
func (l *InputLayer) WithName(name string) *InputLayer { l.name = name; return l }

// WithBatchSize fixes the batch dimension (keras.Input(batch_size=...)) and returns l.
func (l *InputLayer) WithBatchSize(n int) *InputLayer { l.batch = n; return l }

// Shape returns the input shape without the batch dimension.
func (l *InputLayer) Shape() []int { return slices.Clone(l.shape) }

// Name returns the name given with WithName or SetName ("" for the default).
func (l *InputLayer) Name() string { return l.name }

// SetName sets the name.
func (l *InputLayer) SetName(s string) { l.name = s }

// Class returns "InputLayer".
func (l *InputLayer) Class() string { return saved.InputLayerClass }

// Build checks that inputShape is the declared shape.
func (l *InputLayer) Build(inputShape []int, _ *layers.Rand) error {
	if !slices.Equal(inputShape, l.shape) {
		return fmt.Errorf("%w: InputLayer: input shape %s, declared %s", ErrShape, shapeString(-1, inputShape), shapeString(l.batch, l.shape))
	}
	return nil
}

// Built reports true: an InputLayer has nothing to build.
func (l *InputLayer) Built() bool { return true }

// InputShape returns the declared shape.
func (l *InputLayer) InputShape() []int { return slices.Clone(l.shape) }

// OutputShape returns its input shape.
func (l *InputLayer) OutputShape(in []int) ([]int, error) { return slices.Clone(in), nil }

// Weights returns nil.
func (l *InputLayer) Weights() []*layers.Weight { return nil }

// Forward returns x.
func (l *InputLayer) Forward(x *tensor.Tensor, _ bool) (*tensor.Tensor, error) { return x, nil }

// Backward returns dy.
func (l *InputLayer) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) { return dy, nil }

// Config returns the InputLayer config in dialect d (with the name given, or the dialect's
// default when none was).
func (l *InputLayer) Config(d saved.Dialect) map[string]any {
	name := l.name
	if name == "" {
		name = defaultInputName(d, inputExplicit, "")
	}
	return inputLayerConfig(d, name, l.batch, l.shape)
}

// inputLayerConfig is the config of Keras's InputLayer as tf_keras 2.21 and Keras 3.15 write
// it.
func inputLayerConfig(d saved.Dialect, name string, batch int, shape []int) map[string]any {
	key := "batch_input_shape"
	if d == saved.Keras3 {
		key = "batch_shape"
	}
	return map[string]any{
		key:        batchShapeJSON(batch, shape),
		"dtype":    "float32",
		"sparse":   false,
		"ragged":   false,
		"name":     name,
		"optional": false,
	}
}

// batchShapeJSON is [batch or null, shape...] as a JSON list.
func batchShapeJSON(batch int, shape []int) []any {
	out := make([]any, 0, len(shape)+1)
	out = append(out, dimJSON(batch))
	for _, d := range shape {
		out = append(out, dimJSON(d))
	}
	return out
}

func dimJSON(d int) any {
	if d < 0 {
		return nil
	}
	return d
}

// defaultInputName is the name Keras gives the InputLayer of a Sequential model built in a
// fresh session: tf_keras names it after the first layer ("conv_1_input") when the shape came
// from input_shape or build(), and "input_1" for keras.Input; Keras 3 always "input_layer".
func defaultInputName(d saved.Dialect, kind inputKind, firstLayer string) string {
	if d == saved.Keras3 {
		return "input_layer"
	}
	if kind == inputExplicit || firstLayer == "" {
		return "input_1"
	}
	return firstLayer + "_input"
}

// ParamCount returns 0: the InputLayer has no weights.
func (l *InputLayer) ParamCount([]int) (int64, error) { return 0, nil }
