package wconv

import (
	"github.com/kerasgo/kerasgo/saved"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/h5"
)

// toKeras3 lays the weights out as Keras 3's save_weights("x.weights.h5") does. Keras 3
// loads a layer's variables from the path its class and position give (layers/conv2d_1/vars),
// so every layer's path must be known: read from a Keras 3 file, or derived from the classes
// of the whole layers list (a config).
func toKeras3(m *model) (*h5.Keras3Object, error) {
	layers, err := k3Container(m, "")
	if err != nil {
		return nil, err
	}
	return &h5.Keras3Object{HasVars: true, Name: m.name, Children: []*h5.Keras3Object{layers}}, nil
}

func k3Container(m *model, path string) (*h5.Keras3Object, error) {
	keys := make([]string, len(m.layers))
	classes := make([]string, len(m.layers))
	haveClasses, haveKeys := m.complete, true
	for i, l := range m.layers {
		classes[i], keys[i] = l.class, l.k3key
		haveClasses = haveClasses && l.class != ""
		haveKeys = haveKeys && l.k3key != ""
	}
	switch {
	case haveClasses:
		keys = h5.Keras3Paths(classes)
	case !haveKeys:
		where := "the model's layers"
		if path != "" {
			where = "the layers of nested model " + strconv.Quote(strings.TrimSuffix(path, "/"))
		}
		return nil, unsupportedf("Keras 3 keys each layer by its class name, de-duplicated in model.layers order, and the source records neither the classes nor the whole layers list of %s; %s", where, needConfig)
	}
	obj := &h5.Keras3Object{Key: "layers"}
	for i, l := range m.layers {
		lo, err := k3Layer(l, keys[i], path, i)
		if err != nil {
			return nil, err
		}
		obj.Children = append(obj.Children, lo)
	}
	return obj, nil
}

func k3Layer(l *layer, key, path string, i int) (*h5.Keras3Object, error) {
	switch {
	case l.flat:
		return nil, unsupportedf("%s is a nested model whose layers the weights file does not list (its variables are stored together); %s", l.label(path, i), needConfig)
	case l.sub != nil:
		sub, err := k3Container(l.sub, path+l.name+"/")
		if err != nil {
			return nil, err
		}
		return &h5.Keras3Object{Key: key, HasVars: true, Name: l.name, Children: []*h5.Keras3Object{sub}}, nil
	case l.k3 != nil:
		o := *l.k3 // the layer as Keras 3 stored it, sub-objects included
		o.Key = key
		if l.name != "" {
			o.Name = l.name
		}
		return &o, nil
	}
	o := &h5.Keras3Object{Key: key, HasVars: true, Name: l.name}
	if obj := saved.WeightObjectOf(l.class); obj != "" && len(l.weights) > 0 {
		// The class keeps its variables in a sub-object (an RNN's cell): layers/<key>/vars
		// is empty and <key>/<obj>/vars, named after the class's scope, holds them.
		cell := &h5.Keras3Object{Key: obj, HasVars: true, Name: saved.WeightScopeOf(l.class)}
		for _, w := range l.weights {
			a := w.attr
			if a == nil {
				a = subObjectAttr(l, w)
			}
			if len(a) != 2 || a[0] != obj {
				return nil, unsupportedf("%s: variable %q is not one of its %s's", l.label(path, i), w.h5name+strings.Join(w.attr, "/"), obj)
			}
			cell.Vars = append(cell.Vars, w.value)
		}
		o.Children = []*h5.Keras3Object{cell}
		return o, nil
	}
	for _, w := range l.weights {
		direct := len(w.h5rel) == 1 || len(w.attr) == 1
		if !direct {
			what := strconv.Quote(w.h5name)
			if w.attr != nil {
				what = strconv.Quote(strings.Join(w.attr, "/"))
			}
			return nil, unsupportedf("%s: variable %s belongs to a sub-object of the layer (an RNN's cell, ...) or does not carry the layer's name; where Keras 3 keeps it depends on the class", l.label(path, i), what)
		}
		o.Vars = append(o.Vars, w.value)
	}
	return o, nil
}
