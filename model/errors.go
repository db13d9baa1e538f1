package model

import (
	"errors"
	"fmt"
)

var (
	// ErrFormat reports an invalid model config or saved model: malformed JSON, a missing key,
	// a value of the wrong type, weights that do not fit the architecture.
	ErrFormat = errors.New("model: invalid format")
	// ErrUnsupported reports a valid Keras model, layer or file format that kerasgo does not
	// handle (a Functional model, an unknown layer class, a codec not available).
	ErrUnsupported = errors.New("model: unsupported")
	// ErrShape reports an input or weight whose shape does not fit the model.
	ErrShape = errors.New("model: shape mismatch")
	// ErrNotBuilt reports an operation that needs the model's input shape before it is known.
	ErrNotBuilt = errors.New("model: model not built")
	// ErrNoConfig reports a weights-only save (no architecture) where a whole model is needed.
	ErrNoConfig = errors.New("model: no model config (weights only)")
)

// WeightMismatchError reports weights that do not fit a layer of the model: a different
// number of weights, or a weight of a different shape. It wraps ErrShape.
type WeightMismatchError struct {
	Layer string // the model's layer name
	// Source names where the weights came from (the file's layer name, or "" for a list).
	Source string
	// Weight is the weight's name ("kernel") or index; empty for a count mismatch.
	Weight string
	// Expected and Found are the shapes, or for a count mismatch one-element slices holding
	// the counts.
	Expected, Found []int
	Count           bool // a count mismatch rather than a shape mismatch
}

func (e *WeightMismatchError) Error() string {
	src := ""
	if e.Source != "" && e.Source != e.Layer {
		src = fmt.Sprintf(" (from %q)", e.Source)
	}
	if e.Count {
		return fmt.Sprintf("model: layer %q%s: expected %d weights, found %d", e.Layer, src, e.Expected[0], e.Found[0])
	}
	return fmt.Sprintf("model: layer %q%s: weight %s: expected shape %v, found %v", e.Layer, src, e.Weight, e.Expected, e.Found)
}

// Unwrap returns ErrShape.
func (e *WeightMismatchError) Unwrap() error { return ErrShape }
