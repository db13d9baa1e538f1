package layers

import "github.com/kerasgo/kerasgo/saved"

// Maximum is Keras's Maximum: the element-wise maximum of its inputs.
// Inputs may differ in shape as Keras allows (see the element-wise merge rule in merge.go:
// aligned on the last axes, sizes equal or 1); it has no weights and takes several inputs
// (MultiInput): its single-input Build, OutputShape, Forward and Backward fail with ErrShape.
type Maximum struct{ elemMerge }

// NewMaximum returns a Maximum layer; opts, if given, names it.
func NewMaximum(opts ...MergeOptions) *Maximum {
	return &Maximum{newElemMerge("Maximum", opMaximum, opts)}
}

func init() { register(Spec{Classes: []string{"Maximum"}, FromConfig: maximumFromConfig}) }

func maximumFromConfig(cfg map[string]any, _ saved.Dialect) (Layer, []string, error) {
	m, w, err := elemFromConfig("Maximum", opMaximum, cfg)
	if err != nil {
		return nil, nil, err
	}
	return &Maximum{*m}, w, nil
}
