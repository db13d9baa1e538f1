package saved

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
