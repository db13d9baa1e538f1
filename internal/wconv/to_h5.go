package wconv

import (
	"github.com/kerasgo/kerasgo/saved"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/h5"
)

// toLegacy lays the weights out as tf_keras's save_weights("x.h5") does. tf_keras (and Keras
// 3 for .h5) loads them by position: the layers with weights in model.layers order, each
// layer's variables in layer.weights order, a nested model's as nested.trainable_weights +
// nested.non_trainable_weights. Names are written as tf_keras names them ("conv_a/kernel:0")
// where the source tells; they do not matter for loading.
func toLegacy(m *model) ([]h5.LegacyGroup, error) {
	if !m.ordered {
		return nil, unsupportedf("the order of the model's layers with weights is not recorded in the source (a Keras 3 weights file keys layers by class, not position); %s", needConfig)
	}
	var out []h5.LegacyGroup
	for i, l := range m.layers {
		if !l.hasWeights() {
			if m.complete && l.name != "" {
				out = append(out, h5.LegacyGroup{Name: l.name})
			}
			continue
		}
		if l.name == "" {
			return nil, unsupportedf("%s: its name is not recorded in the source; %s", l.label("", i), needConfig)
		}
		g := h5.LegacyGroup{Name: l.name}
		var err error
		switch {
		case l.flat:
			for _, w := range l.weights {
				g.Weights = append(g.Weights, h5.NamedTensor{Name: w.h5name, Value: w.value})
			}
		case l.h5group != nil:
			for _, w := range l.h5group {
				g.Weights = append(g.Weights, h5.NamedTensor{Name: legacyName(w.owner, w), Value: w.value})
			}
		case l.sub != nil:
			g.Weights, err = nestedGroup(l)
		default:
			g.Weights, err = layerGroup(l, "", i)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// layerGroup names a plain layer's variables for an HDF5 group (prefix: the enclosing
// nested model's path, for messages).
func layerGroup(l *layer, prefix string, i int) ([]h5.NamedTensor, error) {
	objs := map[string]bool{}
	for _, w := range l.weights {
		if w.k3 {
			objs[w.k3obj] = true
		}
	}
	if len(objs) > 1 {
		return nil, unsupportedf("%s: its variables are kept by %d objects in the Keras 3 file (the layer and its sub-objects); their order in layer.weights depends on the class", l.label(prefix, i), len(objs))
	}
	var out []h5.NamedTensor
	seen := map[string]bool{}
	for k, w := range l.weights {
		var name string
		switch {
		case w.h5name != "":
			name = legacyName(l.name, w)
		case w.fullName != "":
			name = w.fullName + ":0" // TF's variable name, as tf_keras names it in HDF5
		case subObjectAttr(l, w) != nil && saved.WeightScopeOf(l.class) != "":
			// A variable of the class's sub-object: "lstm/lstm_cell/kernel:0".
			name = l.name + "/" + saved.WeightScopeOf(l.class) + "/" + subObjectAttr(l, w)[1] + ":0"
		case w.attr != nil:
			name = l.name + "/" + strings.Join(w.attr, "/") + ":0"
		case w.name != "":
			name = l.name + "/" + w.name + ":0"
		case w.k3obj != "":
			name = l.name + "/" + w.k3obj + "/" + strconv.Itoa(w.k3index) + ":0"
		default:
			name = l.name + "/" + strconv.Itoa(k) + ":0"
		}
		if seen[name] {
			return nil, unsupportedf("%s: two variables named %q", l.label(prefix, i), name)
		}
		seen[name] = true
		out = append(out, h5.NamedTensor{Name: name, Value: w.value})
	}
	return out, nil
}

// nestedGroup lays out a nested model's variables as tf_keras's HDF5 group of the model
// holds them: nested.trainable_weights then nested.non_trainable_weights, each over its
// layers depth first. Which variables are trainable decides the order: a layer's flag and
// its enclosing models' (from a config) and whether the layer creates the variable trainable
// (from the class; non-trainable statistics by name). When that is not known for a variable,
// the order is still certain if no known trainable variable follows it and no known
// non-trainable one precedes it.
func nestedGroup(nested *layer) ([]h5.NamedTensor, error) {
	var ls []leaf
	leaves(nested.sub, nested.trainable, &ls)
	type item struct {
		nt    h5.NamedTensor
		label tri // yes: in trainable_weights; no: in non_trainable_weights
		lf    leaf
	}
	var items []item
	for i, lf := range ls {
		if len(lf.l.weights) == 0 {
			continue
		}
		if lf.l.name == "" {
			return nil, unsupportedf("nested model %q: %s: its name is not recorded in the source; %s", nested.name, lf.l.label("", i), needConfig)
		}
		nts, err := layerGroup(lf.l, nested.name+"/", i)
		if err != nil {
			return nil, err
		}
		for k, w := range lf.l.weights {
			items = append(items, item{nts[k], lf.trainable.and(w.created), lf})
		}
	}
	// With unknowns, the order is certain only when the labels read trainable*, unknown*,
	// non-trainable*.
	var first *item
	for i := range items {
		if items[i].label == unknown {
			first = &items[i]
			break
		}
	}
	state := yes
	for _, it := range items {
		if first == nil {
			break
		}
		if it.label == yes && state != yes || it.label == unknown && state == no {
			why := "the layer's trainable flag is not recorded in the source; " + needConfig
			if first.lf.trainable != unknown {
				why = "kerasgo does not know which variables class " + strconv.Quote(first.lf.l.class) + " creates trainable (it does for the classes it implements)"
			}
			return nil, unsupportedf("nested model %q: its variables' order in tf_keras's HDF5 group (trainable ones first) depends on which variables of %s are trainable: %s",
				nested.name, first.lf.l.label(nested.name+"/", 0), why)
		}
		if it.label != yes {
			state = it.label
		}
	}
	var out []h5.NamedTensor
	for _, want := range []tri{yes, unknown, no} {
		for _, it := range items {
			if it.label == want {
				out = append(out, it.nt)
			}
		}
	}
	return out, nil
}

// legacyName is tf_keras's name of a variable read from an HDF5 group: "<layer>/<kernel>:0"
// (a Keras 3 legacy .h5 names it by its path, "outer/inner/dense/kernel"). A name that does
// not carry its layer's name is kept.
func legacyName(layer string, w *weight) string {
	if w.h5rel == nil {
		return w.h5name
	}
	return layer + "/" + strings.Join(w.h5rel, "/") + ":0"
}
