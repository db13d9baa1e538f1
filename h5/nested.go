package h5

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// maxNesting bounds how deep nested models are followed.
const maxNesting = 16

// nestedLayers returns the layer list of a layer that is a model (a nested model: its config
// has a "layers" list), or nil.
func nestedLayers(info layerInfo) []layerInfo {
	if _, ok := info.Config["layers"].([]any); !ok {
		return nil
	}
	_, ls, err := modelLayers(mustJSON(map[string]any{"class_name": info.Class, "config": info.Config}))
	if err != nil || ls == nil {
		return nil
	}
	out := ls[:0:0]
	for _, l := range ls {
		if l.Class != saved.InputLayerClass {
			out = append(out, l)
		}
	}
	if out == nil {
		out = []layerInfo{}
	}
	return out
}

// readKeras3Nested reads a nested model stored under layers/<p>/layers/... (Keras 3).
func (o ReadOptions) readKeras3Nested(h *h5file, p string, info layerInfo, sub []layerInfo, depth int) (saved.Layer, error) {
	l := saved.Layer{Name: info.Name, Class: info.Class, Children: []saved.Layer{}}
	if depth >= maxNesting {
		return l, unsupportedf("models nested more than %d deep", maxNesting)
	}
	classes := make([]string, len(sub))
	for i, c := range sub {
		classes[i] = c.Class
	}
	for i, cp := range keras3Paths(classes) {
		full := p + "/" + groupLayers + "/" + cp
		c := sub[i]
		if !info.Trainable {
			c.Trainable = false
		}
		if ss := nestedLayers(c); ss != nil {
			child, err := o.readKeras3Nested(h, full, c, ss, depth+1)
			if err != nil {
				return l, err
			}
			l.Children = append(l.Children, child)
			continue
		}
		vp, err := findVars(h, full)
		if err != nil {
			return l, err
		}
		var vals []*tensor.Tensor
		if vp != "" {
			if vals, err = o.readVars(h, vp); err != nil {
				return l, err
			}
		}
		names := weightNamesFor(c.Class, c.Config, len(vals))
		child := saved.Layer{Name: c.Name, Class: c.Class}
		for j, v := range vals {
			tr := c.Trainable && !nonTrainable(c.Class, names[j])
			child.Weights = append(child.Weights, saved.Variable{Name: names[j], Trainable: tr, Value: v})
		}
		l.Children = append(l.Children, child)
	}
	l.Weights = saved.NestedWeights(l.Children)
	return l, nil
}

// nestedRefs are the variables of a nested model as the optimizer's slots name them: by the
// layer owning them ("inner_dense_1", "kernel").
func nestedRefs(l saved.Layer) []varRef {
	out := make([]varRef, 0, len(l.Weights))
	for _, w := range l.Weights {
		owner, short := splitQualified(w.Name)
		out = append(out, varRef{layer: owner, weight: short, value: w.Value, key: w.Name, trainable: w.Trainable})
	}
	return out
}

// splitQualified splits "inner_dense_1/kernel" into the owning layer and the weight name.
func splitQualified(name string) (string, string) {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// allNested lists the layers of a nested model and of the models nested in it.
func allNested(ls []layerInfo, depth int) []layerInfo {
	if depth >= maxNesting {
		return nil
	}
	out := append([]layerInfo(nil), ls...)
	for _, l := range ls {
		out = append(out, allNested(nestedLayers(l), depth+1)...)
	}
	return out
}

// nestedWeightName is the weight_names entry of a nested model's weight qualified by its
// layer ("inner_dense_1/kernel"): tf_keras "inner_dense_1/kernel:0", Keras 3 the variable
// path "<model>/<nested model>/inner_dense_1/kernel".
func nestedWeightName(m *saved.Model, model, layer, qualified string) string {
	if m.Dialect == saved.Keras3 {
		if model != "" {
			return model + "/" + layer + "/" + qualified
		}
		return layer + "/" + qualified
	}
	return qualified + ":0"
}

// readKeras3NestedByPath reads the nested model at group g (path p) of a Keras 3 weights
// file without config, if g has a "layers" group: its layers in path order, each with Path
// set, named by their vars groups' name attributes. ok is false for other layers.
func (o ReadOptions) readKeras3NestedByPath(h *h5file, g, p string, depth int) (saved.Layer, bool, error) {
	lg := joinPath(g, groupLayers)
	k, err := h.kind(lg)
	if err != nil {
		return saved.Layer{}, false, atObj(lg, err)
	}
	if k != kindGroup {
		return saved.Layer{}, false, nil
	}
	l := saved.Layer{Name: p, Path: p, Class: classForPath(p), Children: []saved.Layer{}}
	if depth >= maxNesting {
		return l, false, atObj(g, unsupportedf("models nested more than %d deep", maxNesting))
	}
	if n, err := varsName(h, joinPath(g, groupVars)); err != nil {
		return l, false, err
	} else if n != "" {
		l.Name = n
	}
	c, err := h.children(lg)
	if err != nil {
		return l, false, err
	}
	sub := append([]string(nil), c.groups...)
	sort.SliceStable(sub, func(i, j int) bool { return naturalLess(sub[i], sub[j]) })
	for _, cp := range sub {
		cg := joinPath(lg, cp)
		if child, ok, err := o.readKeras3NestedByPath(h, cg, cp, depth+1); err != nil {
			return l, false, err
		} else if ok {
			l.Children = append(l.Children, child)
			continue
		}
		child := saved.Layer{Name: cp, Path: cp, Class: classForPath(cp)}
		vp := joinPath(cg, groupVars)
		k, err := h.kind(vp)
		if err != nil {
			return l, false, atObj(vp, err)
		}
		if k == kindGroup {
			if n, err := varsName(h, vp); err != nil {
				return l, false, err
			} else if n != "" {
				child.Name = n
			}
			vals, err := o.readVars(h, vp)
			if err != nil {
				return l, false, err
			}
			names := weightNamesFor(child.Class, nil, len(vals))
			for j, v := range vals {
				child.Weights = append(child.Weights, saved.Variable{Name: names[j], Trainable: !nonTrainable(child.Class, names[j]), Value: v})
			}
		}
		l.Children = append(l.Children, child)
	}
	l.Weights = saved.NestedWeights(l.Children)
	return l, true, nil
}

// varsName is the name attribute of a Keras 3 vars group ("" when absent).
func varsName(h *h5file, vp string) (string, error) {
	k, err := h.kind(vp)
	if err != nil || k != kindGroup {
		return "", nil
	}
	attrs, err := h.attrNames(vp)
	if err != nil {
		return "", atObj(vp, err)
	}
	return optString(h, vp, attrs, attrName)
}
