package layers

import "github.com/kerasgo/kerasgo/saved"

// Average is Keras's Average: the element-wise mean of its inputs.
// Inputs may differ in shape as Keras allows (see the element-wise merge rule in merge.go:
// aligned on the last axes, sizes equal or 1); it has no weights and takes several inputs
// (MultiInput): its single-input Build, OutputShape, Forward and Backward fail with ErrShape.
type Average struct{ elemMerge }

// NewAverage returns an Average layer; opts, if given, names it.
func NewAverage(opts ...MergeOptions) *Average {
	return &Average{newElemMerge("Average", opAverage, opts)}
}

func init() { register(Spec{Classes: []string{"Average"}, FromConfig: averageFromConfig}) }

func averageFromConfig(cfg map[string]any, _ saved.Dialect) (Layer, []string, error) {
	m, w, err := elemFromConfig("Average", opAverage, cfg)
	if err != nil {
		return nil, nil, err
	}
	return &Average{*m}, w, nil
}
