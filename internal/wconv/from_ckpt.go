package wconv

import (
	"errors"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
)

// TF checkpoint layout (tf_keras model.save_weights(prefix), TF format): the model is the
// root object; layer i of model.layers is its child "layer-<i>", and the layers with weights
// are also "layer_with_weights-<j>" in the same order (the path the keys use); a nested model
// has the same children below its node; a layer's variables are children named after the
// attribute that holds them ("kernel"; an RNN's "cell" then "kernel").

// savedModelOnly are the children a SavedModel's object graph adds to each layer: lists of
// the layer's variables (which are its attributes too), its functions and Keras metadata.
var savedModelOnly = map[string]bool{
	"variables": true, "trainable_variables": true, "non_trainable_variables": true,
	"regularization_losses": true, "keras_api": true, "__call__": true,
	"call_and_return_all_conditional_losses": true, "call_and_return_conditional_losses": true,
	"_default_save_signature": true, "signatures": true,
}

type ckptReader struct {
	r    *checkpoint.Reader
	file string
	// layers are the layer and model objects read so far: Keras lists each layer once, so
	// an object reached again (a cycle, or sharing a malformed graph would multiply) is refused.
	layers map[*checkpoint.Object]bool
}

// fromCheckpoint reads an object-based checkpoint. Without a config layers are known by
// position only, named from their variables' full names ("conv_a/kernel" → conv_a); with a
// config each layer-<i> is the config's layer i.
func fromCheckpoint(r *checkpoint.Reader, skel *model) (*model, bool, error) {
	root, err := r.ObjectGraph()
	if err != nil {
		return nil, false, err
	}
	cr := &ckptReader{r: r, file: checkpoint.IndexFile(r.Prefix()), layers: map[*checkpoint.Object]bool{}}
	mo := root
	if root.Child("layer-0") == nil && root.Child("layer_with_weights-0") == nil && root.Child("model") != nil {
		mo = root.Child("model") // tf.train.Checkpoint(model=...)
	}
	optimizer := mo.Child("optimizer") != nil || root.Child("optimizer") != nil
	for _, c := range mo.Children {
		if c.Object.Key != "" {
			return nil, false, unsupportedf("the model's own variable %q", c.Name)
		}
	}
	m, err := cr.container(mo, skel, "", 0)
	return m, optimizer, err
}

// numbered returns the children prefix0, prefix1, ... of o in index order.
func numbered(o *checkpoint.Object, prefix string) ([]*checkpoint.Object, error) {
	byIndex := map[int]*checkpoint.Object{}
	for _, c := range o.Children {
		s, ok := strings.CutPrefix(c.Name, prefix)
		if !ok {
			continue
		}
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || strconv.Itoa(i) != s {
			continue
		}
		if byIndex[i] != nil && byIndex[i] != c.Object {
			return nil, formatf("two children named %s%d", prefix, i)
		}
		byIndex[i] = c.Object
	}
	out := make([]*checkpoint.Object, len(byIndex))
	for i, c := range byIndex {
		if i >= len(out) {
			return nil, formatf("children %s<i> are not numbered 0..%d", prefix, len(out)-1)
		}
		out[i] = c
	}
	return out, nil
}

func isModelNode(o *checkpoint.Object) bool {
	return o.Child("layer-0") != nil || o.Child("layer_with_weights-0") != nil
}

// container reads the layers below a model's node.
func (cr *ckptReader) container(o *checkpoint.Object, skel *model, path string, depth int) (*model, error) {
	if depth > maxNesting {
		return nil, unsupportedf("models nested deeper than %d", maxNesting)
	}
	where := "the model"
	if path != "" {
		where = "nested model " + strconv.Quote(strings.TrimSuffix(path, "/"))
	}
	lww, err := numbered(o, "layer_with_weights-")
	if err != nil {
		return nil, formatf("%s: %v", where, err)
	}
	li, err := numbered(o, "layer-")
	if err != nil {
		return nil, formatf("%s: %v", where, err)
	}
	if len(lww) == 0 && len(li) == 0 {
		return nil, unsupportedf("%s: the object graph has no Keras layers (no layer-<i> or layer_with_weights-<j> children)", where)
	}
	weighted := map[*checkpoint.Object]int{}
	for j, c := range lww {
		weighted[c] = j
	}
	if len(li) > 0 {
		// layer_with_weights-<j> must be the layers with weights among layer-<i>, in order.
		j := 0
		for i, c := range li {
			if k, ok := weighted[c]; ok {
				if k != j {
					return nil, formatf("%s: layer-%d is layer_with_weights-%d, expected %d", where, i, k, j)
				}
				j++
			}
		}
		if j != len(lww) {
			return nil, formatf("%s: %d of %d layer_with_weights-<j> are no layer-<i>", where, len(lww)-j, len(lww))
		}
	}
	m := skel
	if m == nil {
		m = &model{ordered: true, complete: len(li) > 0}
		nodes, key := lww, "layer_with_weights-"
		if len(li) > 0 {
			nodes, key = li, "layer-"
		}
		for i, c := range nodes {
			l := &layer{where: "the checkpoint's " + path + key + strconv.Itoa(i)}
			if _, ok := weighted[c]; ok {
				if err := cr.layer(c, l, false, path, depth); err != nil {
					return nil, err
				}
			}
			m.layers = append(m.layers, l)
		}
		return m, nil
	}
	if len(li) > 0 {
		if len(li) != len(skel.layers) {
			return nil, mismatchf("%s has %d layers in the checkpoint, %d in the config", where, len(li), len(skel.layers))
		}
		for i, c := range li {
			if _, ok := weighted[c]; ok {
				if err := cr.layer(c, skel.layers[i], true, path, depth); err != nil {
					return nil, err
				}
			}
		}
		return skel, nil
	}
	// No layer-<i>: match the layers with weights by the names their variables carry.
	byName := map[string]*layer{}
	for _, l := range skel.layers {
		byName[l.name] = l
	}
	last := -1
	for j, c := range lww {
		n := nameFromVariables(c)
		l := byName[n[strings.LastIndexByte(n, '/')+1:]]
		if l == nil {
			return nil, unsupportedf("%s: layer_with_weights-%d: no layer-<i> children, and its variables name no layer of the config", where, j)
		}
		i := indexOf(skel.layers, l)
		if i < last {
			return nil, mismatchf("%s: layer %q comes after %q in the checkpoint, before it in the config", where, l.name, skel.layers[last].name)
		}
		last = i
		if err := cr.layer(c, l, true, path, depth); err != nil {
			return nil, err
		}
	}
	return skel, nil
}

func indexOf(ls []*layer, l *layer) int {
	for i, x := range ls {
		if x == l {
			return i
		}
	}
	return -1
}

// layer fills l from a layer's node: a nested model's layers, or a layer's variables.
// withConfig: l comes from the config (its name and kind are checked against the node).
func (cr *ckptReader) layer(o *checkpoint.Object, l *layer, withConfig bool, path string, depth int) error {
	if cr.layers[o] {
		return unsupportedf("the object graph reaches one layer object at two places (in %s)", orTop(path))
	}
	cr.layers[o] = true
	if isModelNode(o) {
		if withConfig && l.sub == nil {
			return mismatchf("layer %q is a nested model in the checkpoint, a %s in the config", path+l.name, l.class)
		}
		sub, err := cr.container(o, l.sub, path+l.name+"/", depth+1)
		if err != nil {
			return err
		}
		l.sub = sub
		return nil
	}
	if withConfig && l.sub != nil {
		return mismatchf("nested model %q of the config is a plain layer in the checkpoint", path+l.name)
	}
	var ws []*weight
	seen := map[*checkpoint.Object]bool{o: true}
	var walk func(o *checkpoint.Object, attr []string) error
	walk = func(o *checkpoint.Object, attr []string) error {
		if len(attr) > maxNesting {
			return unsupportedf("objects nested deeper than %d", maxNesting)
		}
		for _, c := range o.Children {
			if seen[c.Object] || savedModelOnly[c.Name] {
				continue
			}
			seen[c.Object] = true
			a := append(append([]string(nil), attr...), c.Name)
			if c.Object.Key == "" {
				if err := walk(c.Object, a); err != nil {
					return err
				}
				continue
			}
			t, err := cr.r.Read(c.Object.Key)
			if errors.Is(err, checkpoint.ErrNotFound) {
				return formatf("%s: key %q is named by the object graph but not in the index", cr.file, c.Object.Key)
			}
			if err != nil {
				return err
			}
			ws = append(ws, &weight{value: t, attr: a, fullName: c.Object.FullName, name: c.Name})
		}
		return nil
	}
	if err := walk(o, nil); err != nil {
		return err
	}
	name := nameFromVariables(o)
	if withConfig {
		if name != "" && name != l.name && !strings.HasSuffix(name, "/"+l.name) {
			return mismatchf("layer %q of the config holds variables named %s/... in the checkpoint", path+l.name, name)
		}
	} else {
		l.name = name[strings.LastIndexByte(name, '/')+1:]
	}
	for _, w := range ws {
		w.created = createdTrainable(l.class, w.name)
	}
	// A checkpoint lists variables in creation order; layer.weights has trainable ones first.
	l.weights = kerasOrder(ws)
	return nil
}

// nameFromVariables is a layer's name as its own variables' full names give it ("conv_a/kernel"
// held as "kernel" → "conv_a"), "" when they do not agree or it has none.
func nameFromVariables(o *checkpoint.Object) string {
	name := ""
	for _, c := range o.Children {
		if c.Object.Key == "" {
			continue
		}
		p, ok := strings.CutSuffix(c.Object.FullName, "/"+c.Name)
		if !ok || (name != "" && p != name) {
			return ""
		}
		name = p
	}
	return name
}
