package layers

import "github.com/kerasgo/kerasgo/saved"

// Subtract is Keras's Subtract: inputs[0] - inputs[1] (exactly two inputs).
// Inputs may differ in shape as Keras allows (see the element-wise merge rule in merge.go:
// aligned on the last axes, sizes equal or 1); it has no weights and takes several inputs
// (MultiInput): its single-input Build, OutputShape, Forward and Backward fail with ErrShape.
type Subtract struct{ elemMerge }

// NewSubtract returns a Subtract layer; opts, if given, names it.
func NewSubtract(opts ...MergeOptions) *Subtract {
	return &Subtract{newElemMerge("Subtract", opSubtract, opts)}
}

func init() { register(Spec{Classes: []string{"Subtract"}, FromConfig: subtractFromConfig}) }

func subtractFromConfig(cfg map[string]any, _ saved.Dialect) (Layer, []string, error) {
	m, w, err := elemFromConfig("Subtract", opSubtract, cfg)
	if err != nil {
		return nil, nil, err
	}
	return &Subtract{*m}, w, nil
}
