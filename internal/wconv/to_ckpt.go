package wconv

import (
	"github.com/kerasgo/kerasgo/saved"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
)

// toCheckpoint builds the object graph tf_keras's save_weights(prefix) writes: each model
// node has "layer_with_weights-<j>" for its layers with weights and, when the whole layers
// list is known, "layer-<i>" for every layer; a layer's variables are children named by the
// attribute that holds them, which for Keras's layers is the variable's name ("kernel").
// tf_keras restores by these names, so a variable whose attribute the source does not give
// is refused rather than guessed.
func toCheckpoint(m *model) (*checkpoint.Object, error) {
	root, err := ckptContainer(m, "")
	if err != nil {
		return nil, err
	}
	root.Children = append(root.Children, checkpoint.ObjectChild{Name: "root", Object: root})
	return root, nil
}

func ckptContainer(m *model, path string) (*checkpoint.Object, error) {
	if !m.ordered {
		where := "the model's layers"
		if path != "" {
			where = "the layers of nested model " + strconv.Quote(strings.TrimSuffix(path, "/"))
		}
		return nil, unsupportedf("the order of %s with weights is not recorded in the source (a Keras 3 weights file keys layers by class, not position); %s", where, needConfig)
	}
	o := &checkpoint.Object{}
	j := 0
	for i, l := range m.layers {
		var lo *checkpoint.Object
		if l.hasWeights() {
			var err error
			if lo, err = ckptLayer(l, path, i); err != nil {
				return nil, err
			}
			o.Children = append(o.Children, checkpoint.ObjectChild{Name: "layer_with_weights-" + strconv.Itoa(j), Object: lo})
			j++
		}
		if m.complete {
			if lo == nil {
				lo = &checkpoint.Object{}
			}
			o.Children = append(o.Children, checkpoint.ObjectChild{Name: "layer-" + strconv.Itoa(i), Object: lo})
		}
	}
	return o, nil
}

func ckptLayer(l *layer, path string, i int) (*checkpoint.Object, error) {
	if l.flat {
		return nil, unsupportedf("%s is a nested model whose layers the weights file does not list (its variables are stored together); %s", l.label(path, i), needConfig)
	}
	if l.sub != nil {
		return ckptContainer(l.sub, path+l.name+"/")
	}
	lo := &checkpoint.Object{}
	objs := map[string]*checkpoint.Object{"": lo}
	for k, w := range l.weights {
		attr, err := ckptAttr(l, w, k)
		if err != nil {
			return nil, unsupportedf("%s: %v", l.label(path, i), err)
		}
		parent := lo
		for n := 1; n < len(attr); n++ {
			p := strings.Join(attr[:n], "/")
			if objs[p] == nil {
				objs[p] = &checkpoint.Object{}
				parent.Children = append(parent.Children, checkpoint.ObjectChild{Name: attr[n-1], Object: objs[p]})
			}
			parent = objs[p]
		}
		full := strings.Join(attr, "/")
		if objs[full] != nil {
			return nil, unsupportedf("%s: two variables at attribute %q", l.label(path, i), full)
		}
		fullName := w.fullName
		if fullName == "" {
			fullName = l.name + "/" + full
			if sc := saved.WeightScopeOf(l.class); sc != "" && len(attr) == 2 && attr[0] == saved.WeightObjectOf(l.class) {
				fullName = l.name + "/" + sc + "/" + attr[1] // "lstm/lstm_cell/kernel"
			}
		}
		v := &checkpoint.Object{FullName: fullName, Value: w.value}
		objs[full] = v
		parent.Children = append(parent.Children, checkpoint.ObjectChild{Name: attr[len(attr)-1], Object: v})
	}
	return lo, nil
}

// subObjectAttr is the attribute path of a variable kept in the sub-object its layer's class
// declares (an RNN's cell: tf_keras HDF5 "lstm_cell/kernel", Keras 3 cell/vars/<i> →
// ["cell", "kernel"]), nil for other variables.
func subObjectAttr(l *layer, w *weight) []string {
	obj, scope := saved.WeightObjectOf(l.class), saved.WeightScopeOf(l.class)
	switch {
	case obj == "":
	case len(w.h5rel) == 2 && w.h5rel[0] == scope:
		return []string{obj, w.h5rel[1]}
	case w.k3 && w.k3obj == obj && w.name != "":
		return []string{obj, w.name}
	}
	return nil
}

// ckptAttr is the attribute path of a variable below its layer's node.
func ckptAttr(l *layer, w *weight, k int) ([]string, error) {
	if a := subObjectAttr(l, w); a != nil && w.attr == nil {
		return a, nil
	}
	switch {
	case w.attr != nil:
		return w.attr, nil
	case len(w.h5rel) == 1:
		return w.h5rel, nil
	case w.h5rel != nil && l.class == "":
		return nil, errorString("variable " + strconv.Quote(w.h5name) + " belongs to a sub-object of the layer, whose attribute name (as the checkpoint keys it) the HDF5 file does not record; the layer's class says it: " + needConfig)
	case w.h5rel != nil:
		return nil, errorString("variable " + strconv.Quote(w.h5name) + " belongs to a sub-object of the layer, whose attribute name (as the checkpoint keys it) the HDF5 file does not record")
	case w.h5name != "":
		return nil, errorString("variable " + strconv.Quote(w.h5name) + " does not carry the layer's name")
	case w.k3 && w.k3obj != "":
		return nil, errorString("variable " + strconv.Itoa(w.k3index) + " of its sub-object " + strconv.Quote(w.k3obj) + " in the Keras 3 file: its attribute name is not recorded")
	case w.name != "":
		return []string{w.name}, nil
	}
	if l.class == "" {
		return nil, errorString("variable " + strconv.Itoa(k) + ": the Keras 3 file keeps variables by index, and the layer's class (which names them) is not recorded; " + needConfig)
	}
	return nil, errorString("variable " + strconv.Itoa(k) + ": the Keras 3 file keeps variables by index, and kerasgo does not implement class " + strconv.Quote(l.class) + ", so it does not know their names (the checkpoint's keys)")
}

type errorString string

func (e errorString) Error() string { return string(e) }
