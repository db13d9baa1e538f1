package layers

import "github.com/kerasgo/kerasgo/saved"

// Add is Keras's Add: the element-wise sum of its inputs.
// Inputs may differ in shape as Keras allows (see the element-wise merge rule in merge.go:
// aligned on the last axes, sizes equal or 1); it has no weights and takes several inputs
// (MultiInput): its single-input Build, OutputShape, Forward and Backward fail with ErrShape.
type Add struct{ elemMerge }

// NewAdd returns a Add layer; opts, if given, names it.
func NewAdd(opts ...MergeOptions) *Add { return &Add{newElemMerge("Add", opAdd, opts)} }

func init() { register(Spec{Classes: []string{"Add"}, FromConfig: addFromConfig}) }

func addFromConfig(cfg map[string]any, _ saved.Dialect) (Layer, []string, error) {
	m, w, err := elemFromConfig("Add", opAdd, cfg)
	if err != nil {
		return nil, nil, err
	}
	return &Add{*m}, w, nil
}
