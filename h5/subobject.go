package h5

import (
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// maxSubDepth bounds how deep readKeras3Subs descends below a wrapper's sub-object (an
// inner RNN layer's cell is one level down).
const maxSubDepth = 3

// readKeras3Subs reads the variables of a wrapper layer kept in its tracked sub-objects
// (saved.ClassFacts.SubObjects) below the layer's group lg: for each sub-object in the
// class's order, its own vars and then those of its child groups in name order (an inner
// RNN layer's "cell"). It returns the values and the sub-objects holding them.
func (o ReadOptions) readKeras3Subs(h *h5file, lg string, objs []string) ([]*tensor.Tensor, []saved.SubObject, error) {
	var vals []*tensor.Tensor
	var subs []saved.SubObject
	var walk func(g string, path, names []string) error
	walk = func(g string, path, names []string) error {
		vp := joinPath(g, groupVars)
		k, err := h.kind(vp)
		if err != nil {
			return atObj(vp, err)
		}
		name := ""
		var vs []*tensor.Tensor
		if k == kindGroup {
			attrs, err := h.attrNames(vp)
			if err != nil {
				return atObj(vp, err)
			}
			if name, err = optString(h, vp, attrs, attrName); err != nil {
				return err
			}
			if vs, err = o.readVars(h, vp); err != nil {
				return err
			}
		}
		path = append(path[:len(path):len(path)], g[strings.LastIndexByte(g, '/')+1:])
		names = append(names[:len(names):len(names)], name)
		if len(vs) > 0 {
			vals = append(vals, vs...)
			subs = append(subs, saved.SubObject{Path: path, Names: names, N: len(vs)})
		}
		if len(path) >= maxSubDepth {
			return nil
		}
		c, err := h.children(g)
		if err != nil {
			return err
		}
		sort.SliceStable(c.groups, func(i, j int) bool { return naturalLess(c.groups[i], c.groups[j]) })
		for _, child := range c.groups {
			if child == groupVars {
				continue
			}
			if err := walk(joinPath(g, child), path, names); err != nil {
				return err
			}
		}
		return nil
	}
	for _, obj := range objs {
		g := joinPath(lg, obj)
		k, err := h.kind(g)
		if err != nil {
			return nil, nil, atObj(g, err)
		}
		if k != kindGroup {
			continue
		}
		if err := walk(g, nil, nil); err != nil {
			return nil, nil, err
		}
	}
	return vals, subs, nil
}
