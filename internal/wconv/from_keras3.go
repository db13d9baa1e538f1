package wconv

import (
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/saved"
)

// Keras 3 weights layout (keras/src/saving/saving_lib.py): the model's layers are the
// children of "layers", keyed by their snake-case class name de-duplicated in model.layers
// order (conv2d, conv2d_1, ...); each layer's vars group holds its own variables by index
// and its name; a nested model keeps its layers under its own "layers"; other sub-objects
// (an RNN's "cell") are children of the layer.

// ignoredKeras3 are root children that hold no model weights.
var ignoredKeras3 = map[string]bool{"optimizer": true, "metrics": true}

// fromKeras3 reads a Keras 3 weights tree. Without a config the layers come in path order;
// their order across classes is then unknown. With a config each layer is found at the path
// its class and position give, and must carry the config's name.
func fromKeras3(root *h5.Keras3Object, skel *model) (m *model, optimizer bool, err error) {
	if len(root.Vars) > 0 {
		return nil, false, unsupportedf("the model's own variables (vars/0..%d)", len(root.Vars)-1)
	}
	layersObj := &h5.Keras3Object{Key: "layers"}
	for _, c := range root.Children {
		switch {
		case c.Key == "layers":
			layersObj = c
		case ignoredKeras3[c.Key]:
			optimizer = optimizer || (c.Key == "optimizer" && hasVars(c))
		case hasVars(c):
			return nil, false, unsupportedf("the model's attribute %q holds variables", c.Key)
		}
	}
	if skel == nil {
		m, err = keras3Model(layersObj, "", 0)
	} else {
		m, err = keras3WithConfig(layersObj, skel, "", 0)
	}
	if err != nil {
		return nil, false, err
	}
	if m.name == "" {
		m.name = root.Name
	}
	return m, optimizer, nil
}

// hasVars reports whether o or any object below it holds a variable.
func hasVars(o *h5.Keras3Object) bool {
	if len(o.Vars) > 0 {
		return true
	}
	for _, c := range o.Children {
		if hasVars(c) {
			return true
		}
	}
	return false
}

// keras3Model reads the layers under a "layers" object without a config.
func keras3Model(layersObj *h5.Keras3Object, path string, depth int) (*model, error) {
	if depth > maxNesting {
		return nil, unsupportedf("models nested deeper than %d", maxNesting)
	}
	m := &model{}
	bases := map[string]bool{}
	for _, c := range layersObj.Children {
		// Keras 3 before 3.? recorded no names: Keras's automatic names are the keys.
		name := c.Name
		if name == "" {
			name = c.Key
		}
		l := &layer{name: name, k3key: c.Key, k3: c, class: keras3Class(c.Key)}
		if sub := c.Child("layers"); sub != nil {
			var err error
			if l.sub, err = keras3Model(sub, path+c.Key+"/layers/", depth+1); err != nil {
				return nil, err
			}
			l.sub.name = c.Name
			if err := nestedExtras(c, path); err != nil {
				return nil, err
			}
		} else {
			l.weights = keras3Weights(c, l.class)
		}
		if l.hasWeights() {
			base, _ := splitSuffix(c.Key)
			bases[base] = true
		}
		m.layers = append(m.layers, l)
	}
	// Within one class the suffixes give the order; across classes nothing does.
	m.ordered = len(bases) <= 1
	return m, nil
}

// nestedExtras refuses variables a nested model holds outside its layers.
func nestedExtras(c *h5.Keras3Object, path string) error {
	if len(c.Vars) > 0 {
		return unsupportedf("nested model at layers/%s%s: its own variables", path, c.Key)
	}
	for _, cc := range c.Children {
		if cc.Key != "layers" && hasVars(cc) {
			return unsupportedf("nested model at layers/%s%s: variables under %q", path, c.Key, cc.Key)
		}
	}
	return nil
}

// keras3Weights lists a layer's variables: its own, then those of its sub-objects (depth
// first, in key order), which only a Keras 3 target can place again.
func keras3Weights(o *h5.Keras3Object, class string) []*weight {
	var out []*weight
	names := keras3Names(class, nil, len(o.Vars))
	for i, v := range o.Vars {
		out = append(out, &weight{value: v, k3: true, k3index: i, name: names[i], created: createdTrainable(class, names[i])})
	}
	// The sub-object the class keeps its variables in (an RNN's cell) names them as the
	// class does.
	obj := saved.WeightObjectOf(class)
	var walk func(o *h5.Keras3Object, p string)
	walk = func(o *h5.Keras3Object, p string) {
		for _, c := range o.Children {
			cp := p + c.Key
			var cnames []string
			if obj != "" && cp == obj && len(o.Vars) == 0 {
				cnames = keras3Names(class, nil, len(c.Vars))
			}
			for i, v := range c.Vars {
				w := &weight{value: v, k3: true, k3obj: cp, k3index: i}
				if cnames != nil && cnames[i] != "" {
					w.name, w.created = cnames[i], createdTrainable(class, cnames[i])
				}
				out = append(out, w)
			}
			walk(c, cp+"/")
		}
	}
	walk(o, "")
	return out
}

// keras3WithConfig reads the layers under a "layers" object at the paths skel's classes
// give.
func keras3WithConfig(layersObj *h5.Keras3Object, skel *model, path string, depth int) (*model, error) {
	if depth > maxNesting {
		return nil, unsupportedf("models nested deeper than %d", maxNesting)
	}
	classes := make([]string, len(skel.layers))
	for i, l := range skel.layers {
		classes[i] = l.class
	}
	used := map[string]bool{}
	for i, key := range h5.Keras3Paths(classes) {
		l := skel.layers[i]
		c := layersObj.Child(key)
		if c == nil {
			continue // a layer without a group holds no variables (a leftover group is refused below)
		}
		used[key] = true
		if c.Name != "" && c.Name != l.name {
			return nil, mismatchf("layers/%s%s is layer %q in the file, %q in the config", path, key, c.Name, l.name)
		}
		l.k3key, l.k3 = key, c
		if l.sub != nil {
			sub := c.Child("layers")
			if sub == nil {
				if hasVars(c) {
					return nil, mismatchf("layers/%s%s: the config's nested model %q has no layers in the file", path, key, l.name)
				}
				continue
			}
			if err := nestedExtras(c, path); err != nil {
				return nil, err
			}
			if _, err := keras3WithConfig(sub, l.sub, path+key+"/layers/", depth+1); err != nil {
				return nil, err
			}
			continue
		}
		if c.Child("layers") != nil && hasVars(c.Child("layers")) {
			return nil, mismatchf("layers/%s%s (%q) is a nested model in the file, a %s in the config", path, key, l.name, l.class)
		}
		l.weights = keras3Weights(c, l.class)
	}
	for _, c := range layersObj.Children {
		if !used[c.Key] && hasVars(c) {
			return nil, mismatchf("layers/%s%s (%q) holds variables but is no layer of the config at that path", path, c.Key, c.Name)
		}
	}
	return skel, nil
}
