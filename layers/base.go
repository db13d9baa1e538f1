package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
)

// base holds what every layer has: name, trainable flag, the shape it was built for and the
// batch input shape declared in its config or options.
type base struct {
	name      string
	trainable bool
	inShape   []int  // nil until Build
	declared  []int  // batch shape with -1 for None; nil when not declared
	policy    string // dtype policy: "" (float32), PolicyMixedFloat16 or PolicyMixedBFloat16
}

func newBase(name string, inputShape []int) base {
	b := base{name: name, trainable: true}
	if inputShape != nil {
		b.declared = append([]int{-1}, inputShape...)
	}
	return b
}

// Name returns the layer's name ("" until named by the model).
func (b *base) Name() string { return b.name }

// SetName sets the layer's name.
func (b *base) SetName(s string) { b.name = s }

// Built reports whether Build has run.
func (b *base) Built() bool { return b.inShape != nil }

// InputShape returns the shape given to Build, without the batch dimension.
func (b *base) InputShape() []int { return slices.Clone(b.inShape) }

// Trainable reports the layer's Keras "trainable" flag (true by default).
func (b *base) Trainable() bool { return b.trainable }

// DeclaredInputShape returns the batch input shape given in the layer's config
// (batch_input_shape, batch_shape, input_shape, input_dim) or options, with -1 for an unknown
// dimension (the batch), or nil.
func (b *base) DeclaredInputShape() []int { return slices.Clone(b.declared) }

// SetDeclaredInputShape sets the declared batch input shape (with the batch dimension, -1
// for unknown); nil clears it.
func (b *base) SetDeclaredInputShape(s []int) { b.declared = slices.Clone(s) }

// baseConfig returns the config keys common to all layers.
func (b *base) baseConfig(d saved.Dialect) map[string]any {
	return map[string]any{
		"name":      b.name,
		"trainable": b.trainable,
		"dtype":     policyConfig(d, b.policy),
	}
}

// Declarer is implemented by every layer of this package: the batch input shape a config or
// option declared (see DeclaredInputShape).
type Declarer interface {
	DeclaredInputShape() []int
	SetDeclaredInputShape([]int)
}

// DeclaredInputShape returns the batch input shape (batch dimension first, -1 for unknown)
// declared by l's config (batch_input_shape, batch_shape, input_shape, input_dim) or by its
// constructor options, or nil.
func DeclaredInputShape(l Layer) []int {
	if d, ok := l.(Declarer); ok {
		return d.DeclaredInputShape()
	}
	return nil
}

// TrainableFlag is implemented by every layer of this package: Keras's layer.trainable.
// A non-trainable layer reports all its weights as non-trainable, and BatchNormalization runs
// in inference mode.
type TrainableFlag interface {
	Trainable() bool
	SetTrainable(bool)
}

// InputGradientSkipper is implemented by layers that can skip computing dL/dx (Conv2D,
// Dense): for the first layer of a model nobody needs it. After SetSkipInputGradient(true),
// Backward still fills the weight gradients but returns a nil tensor.
type InputGradientSkipper interface {
	SetSkipInputGradient(bool)
}

// optionsArg returns the options value passed to a constructor's variadic options argument:
// the zero value (Keras's defaults) when none was given. More than one is a programmer error.
func optionsArg[T any](fn string, opts []T) T {
	switch len(opts) {
	case 0:
		var zero T
		return zero
	case 1:
		return opts[0]
	}
	panic("layers." + fn + ": at most one options value")
}
