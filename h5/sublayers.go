package h5

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// writeKeras3SubLayers writes the variables of a layer whose variables belong to sub-layers
// (saved.ClassFacts.SubLayers, MultiHeadAttention's query_dense ...): each sub-layer's in
// <layer path>/<sub-layer's Keras 3 path>/vars, then the empty vars groups of the layer's
// other tracked sub-objects.
func writeKeras3SubLayers(s k3sink, lp string, l saved.Layer) error {
	idx := map[string]int{}
	for _, w := range l.Weights {
		sub, _, ok := saved.SubLayerOf(l.Class, w.Name)
		if !ok {
			return formatf("layer %q (%s): weight %q belongs to no sub-layer", l.Name, l.Class, w.Name)
		}
		vp := joinPath(lp, sub.Keras3, groupVars)
		j, seen := idx[sub.Name]
		if !seen {
			if err := s.vars(vp, sub.Name); err != nil {
				return err
			}
		}
		if err := s.set(vp, j, w.Value); err != nil {
			return err
		}
		idx[sub.Name] = j + 1
	}
	for _, c := range saved.Keras3ChildrenOf(l.Class) {
		if err := s.vars(joinPath(lp, c.Keras3, groupVars), c.Name); err != nil {
			return err
		}
	}
	return nil
}

// readKeras3SubLayers reads the variables of the layer at path p (under layers/) from its
// sub-layers' vars groups, in the sub-layers' order.
func (o ReadOptions) readKeras3SubLayers(h *h5file, p string, subs []saved.SubLayer) ([]*tensor.Tensor, error) {
	var vals []*tensor.Tensor
	for _, sub := range subs {
		vp, err := findVars(h, p+"/"+sub.Keras3)
		if err != nil {
			return nil, err
		}
		if vp == "" {
			continue
		}
		v, err := o.readVars(h, vp)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v...)
	}
	return vals, nil
}
