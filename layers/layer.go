package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Weight is one variable of a layer. Value is float32 with the Keras shape
// (Conv2D kernel (kh, kw, in, out); Dense kernel (in, out)). Grad, when non-nil, has Value's
// length and is filled by Backward (overwritten, not accumulated, per Backward call).
type Weight struct {
	Name      string // "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"
	Trainable bool
	Value     *tensor.Tensor
	Grad      []float32
	// SavedDType is the dtype Keras gives the variable when it differs from Value's float32
	// (Normalization's count is int64); zero: Value's dtype. Codecs write the variable with it.
	SavedDType tensor.DType
}

// Layer is one Keras layer.
//
// A layer is built once for an input shape (without the batch dimension); Forward then takes a
// batch (batch, ...inputShape) and returns (batch, ...OutputShape). Forward with training true
// caches what Backward needs; Backward takes dL/dy of the last training Forward, fills the
// Grad of every trainable weight and returns dL/dx. Layers are not safe for concurrent use,
// except inference calls as package model makes them (see Workspace); each layer may use
// several goroutines internally.
type Layer interface {
	// Name is the layer's Keras name ("conv_1"); Class its Keras class name ("Conv2D").
	Name() string
	SetName(string)
	Class() string
	// Build creates the weights for an input shape without the batch dimension. Weights are
	// initialised as Keras does by default (glorot_uniform kernels from rng, zero biases,
	// BN gamma 1, beta 0, moving mean 0, moving variance 1).
	Build(inputShape []int, rng *Rand) error
	Built() bool
	// InputShape is the shape given to Build (nil before Build).
	InputShape() []int
	// OutputShape computes the output shape (without batch) for an input shape.
	OutputShape(inputShape []int) ([]int, error)
	// Weights returns the layer's weights in Keras order (trainable first, then non-trainable).
	Weights() []*Weight
	// Forward's result in inference mode is the caller's; Infer(ws, l, x) instead reuses
	// the buffers of a Workspace (Conv2D, MaxPooling2D, BatchNormalization, Dense, ...): that
	// result is valid until the next use of ws for the layer. Callers that keep it longer
	// copy it (the model does, for a layer called at several nodes and for Predict's result).
	Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error)
	Backward(dy *tensor.Tensor) (*tensor.Tensor, error)
	// Config returns the layer's Keras config object (the value of "config") in a dialect.
	// Base keys (name, trainable, dtype) are included; batch_input_shape / batch_shape are
	// added by the model for the first layer.
	Config(d saved.Dialect) map[string]any
}

// Grapher is implemented by every registered layer class: Graph describes one call of the
// built layer for the codecs (package saved's LayerGraph: input and output shapes, whether the
// call takes a training argument, and the inference computation as TF graph ops, reading the
// layer's weights by their Keras names). Package model puts it in saved.Layer.Graph when it
// writes a model, so that no codec needs to know the class.
type Grapher interface {
	Graph() (*saved.LayerGraph, error)
}

// MultiInput is implemented by layers that take several inputs (Add, Concatenate, Dot, ...),
// used by Functional models. Their single-input Build, OutputShape, Forward and Backward
// fail with ErrShape; these take one entry per input, in the order of the layer's call.
type MultiInput interface {
	Layer
	BuildN(inputShapes [][]int, rng *Rand) error
	OutputShapeN(inputShapes [][]int) ([]int, error)
	ForwardN(xs []*tensor.Tensor, training bool) (*tensor.Tensor, error)
	// BackwardN returns dL/dx for every input.
	BackwardN(dy *tensor.Tensor) ([]*tensor.Tensor, error)
	// InputShapes returns the shapes given to BuildN (nil before).
	InputShapes() [][]int
}
