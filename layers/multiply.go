package layers

import "github.com/kerasgo/kerasgo/saved"

// Multiply is Keras's Multiply: the element-wise product of its inputs.
// Inputs may differ in shape as Keras allows (see the element-wise merge rule in merge.go:
// aligned on the last axes, sizes equal or 1); it has no weights and takes several inputs
// (MultiInput): its single-input Build, OutputShape, Forward and Backward fail with ErrShape.
type Multiply struct{ elemMerge }

// NewMultiply returns a Multiply layer; opts, if given, names it.
func NewMultiply(opts ...MergeOptions) *Multiply {
	return &Multiply{newElemMerge("Multiply", opMultiply, opts)}
}

func init() { register(Spec{Classes: []string{"Multiply"}, FromConfig: multiplyFromConfig}) }

func multiplyFromConfig(cfg map[string]any, _ saved.Dialect) (Layer, []string, error) {
	m, w, err := elemFromConfig("Multiply", opMultiply, cfg)
	if err != nil {
		return nil, nil, err
	}
	return &Multiply{*m}, w, nil
}
