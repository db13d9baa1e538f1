package layers

import "github.com/kerasgo/kerasgo/saved"

// Minimum is Keras's Minimum: the element-wise minimum of its inputs.
// Inputs may differ in shape as Keras allows (see the element-wise merge rule in merge.go:
// aligned on the last axes, sizes equal or 1); it has no weights and takes several inputs
// (MultiInput): its single-input Build, OutputShape, Forward and Backward fail with ErrShape.
type Minimum struct{ elemMerge }

// NewMinimum returns a Minimum layer; opts, if given, names it.
func NewMinimum(opts ...MergeOptions) *Minimum {
	return &Minimum{newElemMerge("Minimum", opMinimum, opts)}
}

func init() { register(Spec{Classes: []string{"Minimum"}, FromConfig: minimumFromConfig}) }

func minimumFromConfig(cfg map[string]any, _ saved.Dialect) (Layer, []string, error) {
	m, w, err := elemFromConfig("Minimum", opMinimum, cfg)
	if err != nil {
		return nil, nil, err
	}
	return &Minimum{*m}, w, nil
}
