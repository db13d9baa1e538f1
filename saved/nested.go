package saved

import "strings"

// NestedWeights returns the weights of a model used as a layer (a nested model, whose layers
// are children) in Keras's order for it: the trainable weights of all its layers, then the
// non-trainable ones. Each weight's Name is qualified by the layer that owns it
// ("inner_dense_1/kernel"), as tf_keras names the variables of a nested model; the weights
// of a nested model inside it keep their qualified names.
func NestedWeights(children []Layer) []Variable {
	var all []Variable
	for _, c := range children {
		if c.Children != nil {
			all = append(all, c.Weights...)
			continue
		}
		for _, w := range c.Weights {
			w.Name = c.Name + "/" + w.Name
			all = append(all, w)
		}
	}
	out := make([]Variable, 0, len(all))
	for _, w := range all {
		if w.Trainable {
			out = append(out, w)
		}
	}
	for _, w := range all {
		if !w.Trainable {
			out = append(out, w)
		}
	}
	return out
}

// VarKey names a weight of l as optimizer slots name it (Slot.Layer, Slot.Weight): the layer
// and weight name; for a nested model's weight, its own layer ("inner_dense_1", "kernel").
func (l *Layer) VarKey(w Variable) [2]string {
	if l.Children != nil {
		if i := strings.LastIndexByte(w.Name, '/'); i >= 0 {
			return [2]string{w.Name[:i], w.Name[i+1:]}
		}
	}
	return [2]string{l.Name, w.Name}
}
